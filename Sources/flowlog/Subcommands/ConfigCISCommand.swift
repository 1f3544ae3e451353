import ArgumentParser
import ConfigAudit
import FlowCore
import Foundation
import Policy

/// `flowlog config cis`: exit 0 when no kept test fails, 1 when one does, 2 when input is unreadable.
struct ConfigCISCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cis",
        abstract: "CIS Kubernetes Benchmark: section 5 from API objects, sections 1-4 from kube-bench --json output, scored as Calico does.",
        discussion: "Exit 0: no test failed; 1: some test failed; 2: unreadable input; 64: usage error."
    )

    enum Output: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @Option(name: .long, parsing: .upToNextOption, help: "Cluster manifest files or directories.")
    var cluster: [String] = []

    @Option(name: .customLong("kube-bench"), parsing: .upToNextOption, help: "kube-bench --json output files, as FILE or NODE=FILE (the node defaults to the file name).")
    var kubeBench: [String] = []

    @Option(name: .shortAndLong, help: "table, json or csv.")
    var output: Output = .table

    @Option(name: .long, help: "Scoring and filters: a YAML file with Calico's spec.cis keys (or a GlobalReport); every exclusion needs reason and expires.")
    var settings: String?

    @Flag(name: .customLong("include-unscored"), help: "Keep unscored (Manual) tests; they are left out by default.")
    var includeUnscored = false

    @Option(name: .long, help: "The day exclusions are judged against, YYYY-MM-DD (default: today, UTC).")
    var date: String?

    func validate() throws {
        if cluster.isEmpty && kubeBench.isEmpty { throw ValidationError("give --cluster, --kube-bench, or both") }
    }

    func run() throws {
        do {
            var loaded = CISSettings()
            if let settings { loaded = try CISSettings.load(path: settings) }
            if includeUnscored { loaded.includeUnscoredTests = true }
            let report = try CISBenchmark.run(clusterPaths: cluster, kubeBench: kubeBench.map(CISBenchmark.KubeBenchFile.init(argument:)),
                                              settings: loaded, date: date ?? Self.today())
            switch output {
            case .table: print(CISReportFormat.table(report))
            case .json: print(try CISReportFormat.json(report))
            case .csv: print(CISReportFormat.csv(report), terminator: "")
            }
            if report.results.contains(where: { $0.status == .fail }) { throw ExitCode(1) }
        } catch let error as ManifestError {
            for e in error.errors { Diagnostics.error("\(e)") }
            throw ExitStatus.badInput.exitCode
        } catch let error as ClusterLoadError {
            for e in error.errors { Diagnostics.error("\(e)") }
            throw ExitStatus.badInput.exitCode
        } catch let error as FlowlogError {
            Diagnostics.error("\(error)")
            throw ExitStatus(error).exitCode
        }
    }

    static func today() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date())
    }
}
