import FlowCore
import Foundation
import Policy

/// Runs the CIS Kubernetes Benchmark: section 5 judged from the cluster's API objects, sections
/// 1–4 imported from kube-bench, then Calico's filters and scoring.
public enum CISBenchmark {
    /// One kube-bench output file and the node it came from (default: the file name without extension).
    public struct KubeBenchFile: Sendable, Hashable {
        public var node: String?
        public var path: String

        public init(node: String? = nil, path: String) {
            self.node = node
            self.path = path
        }

        /// `FILE` or `NODE=FILE`.
        public init(argument: String) {
            if let eq = argument.firstIndex(of: "="), eq != argument.startIndex {
                self.init(node: String(argument[..<eq]), path: String(argument[argument.index(after: eq)...]))
            } else {
                self.init(path: argument)
            }
        }
    }

    /// The section 5 results for the cluster in `paths`, unfiltered, in test-number order.
    /// Throws `ManifestError` listing every unreadable input.
    public static func policyResults(clusterPaths: [String], limits: ManifestLimits = .standard) throws -> [CISTestResult] {
        var reader = ManifestReader(limits: limits)
        reader.read(paths: clusterPaths)
        let (_, loadErrors) = ClusterLoader.inspect(paths: clusterPaths)
        let controls = CISPolicyControls(objects: reader.objects)
        let errors = reader.errors + loadErrors.filter { e in !reader.errors.contains { $0.location?.file == e.location?.file && $0.location?.line == e.location?.line } }
        if !errors.isEmpty { throw ManifestError(errors: errors) }
        var texts: [String] = []
        for file in reader.files {
            if let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) { texts.append(text) }
        }
        var namespaces = Set(controls.namespaceLabels.keys)
        namespaces.formUnion(controls.workloads.map(\.namespace))
        let isolation = try CISNetworkIsolation.evaluate(clusterText: texts.joined(separator: "\n---\n"),
                                                        namespaces: namespaces.sorted(), workloads: controls.workloads)
        var results = controls.all()
        results.append(controls.judged("5.3.2", isolation))
        return results.sorted { CISNumber.precedes($0.number, $1.number) }
    }

    /// One node's results from kube-bench output held in memory (`file` names it in errors).
    public static func kubeBenchResults(text: String, file: String, node: String, limits: ManifestLimits = .standard) throws -> [CISTestResult] {
        let problems = ManifestProblems()
        let imported = KubeBenchImport.read(text: text, file: file, node: node, limits: limits, problems: problems)
        if !problems.errors.isEmpty { throw ManifestError(errors: problems.errors) }
        return imported.results
    }

    /// The whole run. `date` (`YYYY-MM-DD`) is the day exclusions are judged against.
    public static func run(clusterPaths: [String], kubeBench: [KubeBenchFile], settings: CISSettings, date: String,
                           limits: ManifestLimits = .standard) throws -> CISBenchmarkReport {
        guard let today = CISDate(date) else { throw FlowlogError(.invalidArgument, "'\(date)' is not a date YYYY-MM-DD", location: .init(field: "--date")) }
        var nodes: [(name: String, version: String, results: [CISTestResult])] = []
        if !clusterPaths.isEmpty {
            nodes.append(("cluster", "", try policyResults(clusterPaths: clusterPaths, limits: limits)))
        }
        let problems = ManifestProblems()
        for file in kubeBench {
            let node = KubeBenchImport.read(path: file.path, node: file.node, limits: limits, problems: problems)
            nodes.append((node.name, node.version, node.results.sorted { CISNumber.precedes($0.number, $1.number) }))
        }
        if !problems.errors.isEmpty { throw ManifestError(errors: problems.errors) }
        return score(nodes: nodes, settings: settings, today: today, date: date)
    }

    static func score(nodes: [(name: String, version: String, results: [CISTestResult])], settings: CISSettings, today: CISDate, date: String) -> CISBenchmarkReport {
        var kept: [CISTestResult] = []
        var excluded: [CISExcludedTest] = []
        var expired: [CISExclusion] = []
        var summaries: [CISNodeSummary] = []
        for filter in settings.resultsFilters {
            for exclusion in filter.exclude where CISDate(exclusion.expires).map({ $0 < today }) ?? true {
                if !expired.contains(exclusion) { expired.append(exclusion) }
            }
        }
        for node in nodes {
            let filter = settings.filter(forVersion: node.version)
            var mine: [CISTestResult] = []
            for result in node.results {
                if !settings.includeUnscoredTests && !result.scored { continue }
                if let filter, !filter.include.isEmpty {
                    if filter.include.contains(where: { CISExclusion(test: $0, reason: "", expires: "").covers(result.number) }) {
                        mine.append(result)
                    }
                    continue
                }
                if let exclusion = filter?.exclude.first(where: { $0.covers(result.number) && !expired.contains($0) }) {
                    excluded.append(CISExcludedTest(result: result, exclusion: exclusion))
                    continue
                }
                mine.append(result)
            }
            let pass = mine.filter { $0.status == .pass }.count
            let fail = mine.filter { $0.status == .fail }.count
            let score = pass + fail == 0 ? nil : 100 * Double(pass) / Double(pass + fail)
            let rating: CISRating = (score ?? 100) >= Double(settings.highThreshold) ? .high : (score ?? 100) >= Double(settings.medThreshold) ? .med : .low
            summaries.append(CISNodeSummary(node: node.name, version: node.version, passing: pass, failing: fail,
                                            unknown: mine.count - pass - fail, total: mine.count, score: score, rating: rating))
            kept += mine
        }
        var failures: [String: (title: String, count: Int)] = [:]
        for r in kept where r.status == .fail { failures[r.number, default: (r.title, 0)].count += 1 }
        let top = failures.map { CISFailedTest(number: $0.key, title: $0.value.title, count: $0.value.count) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : CISNumber.precedes($0.number, $1.number) }
            .prefix(settings.numFailedTests)
        return CISBenchmarkReport(
            benchmark: CISCatalog.benchmark, date: date, settings: settings, results: kept, excluded: excluded,
            expiredExclusions: expired, nodes: summaries,
            highNodes: summaries.filter { $0.rating == .high }.count, medNodes: summaries.filter { $0.rating == .med }.count,
            lowNodes: summaries.filter { $0.rating == .low }.count, topFailed: Array(top))
    }
}
