import Foundation
import FlowCore

/// Scoring and filters, as a Calico `GlobalReport`'s `spec.cis` has them, with one addition:
/// every exclusion carries a `reason` and an `expires` date.
public struct CISSettings: Sendable, Hashable, Codable {
    public struct ResultsFilter: Sendable, Hashable, Codable {
        /// Prefix of the node's Kubernetes version this filter applies to; empty for every node.
        public var kubernetesVersion: String
        public var include: [String]
        public var exclude: [CISExclusion]

        public init(kubernetesVersion: String = "", include: [String] = [], exclude: [CISExclusion] = []) {
            self.kubernetesVersion = kubernetesVersion
            self.include = include
            self.exclude = exclude
        }
    }

    public var highThreshold: Int = 100
    public var medThreshold: Int = 50
    public var includeUnscoredTests = false
    public var numFailedTests: Int = 5
    public var resultsFilters: [ResultsFilter] = []

    public init() {}

    /// The first filter whose version prefix matches (Calico's rule).
    func filter(forVersion version: String) -> ResultsFilter? {
        resultsFilters.first { $0.kubernetesVersion.isEmpty || version.hasPrefix($0.kubernetesVersion) }
    }

    /// Reads the settings from a YAML file: either these keys at the top level, or a
    /// `GlobalReport` whose `spec.cis` holds them.
    public static func load(path: String, limits: ManifestLimits = .standard) throws -> CISSettings {
        var reader = ManifestDocumentReader(limits: limits)
        return try settings(from: reader.documents(path: path), reader: reader)
    }

    /// The same, from text held in memory; `name` stands in for the file in errors.
    public static func load(text: String, name: String, limits: ManifestLimits = .standard) throws -> CISSettings {
        var reader = ManifestDocumentReader(limits: limits)
        return try settings(from: reader.documents(text: text, file: name), reader: reader)
    }

    private static func settings(from documents: [ManifestNode], reader: ManifestDocumentReader) throws -> CISSettings {
        var settings = CISSettings()
        if let root = documents.first {
            var cis = root
            if root.string("kind") == "GlobalReport" {
                cis = root.object("spec")?.object("cis") ?? root
            }
            settings = CISSettings(cis)
        }
        if !reader.problems.errors.isEmpty { throw ManifestError(errors: reader.problems.errors) }
        return settings
    }

    init(_ node: ManifestNode) {
        self.init()
        if let v = node.integer("highThreshold", in: 0...100) { highThreshold = Int(v) }
        if let v = node.integer("medThreshold", in: 0...100) { medThreshold = Int(v) }
        if let v = node.bool("includeUnscoredTests") { includeUnscoredTests = v }
        if let v = node.integer("numFailedTests", in: 0...10_000) { numFailedTests = Int(v) }
        if medThreshold > highThreshold, let c = node.child("medThreshold") { c.error("medThreshold \(medThreshold) is above highThreshold \(highThreshold)") }
        for entry in node.list("resultsFilters") {
            var filter = ResultsFilter()
            filter.kubernetesVersion = entry.object("benchmarkSelection")?.string("kubernetesVersion") ?? ""
            filter.include = entry.stringList("include")
            for (index, item) in entry.list("exclude").enumerated() {
                guard item.isMapping else {
                    item.error("an exclusion needs test, reason and expires (YYYY-MM-DD); a bare test number is not accepted")
                    continue
                }
                let test = item.string("test") ?? ""
                let reason = item.string("reason") ?? ""
                let expires = item.string("expires") ?? ""
                if test.isEmpty || !CISNumber.isValid(test) { item.error("exclusion \(index): test must be a test or section number such as 1.2.3 or 1.2") }
                if reason.trimmingCharacters(in: .whitespaces).isEmpty { item.error("exclusion \(index) (\(test)): reason is required") }
                if CISDate(expires) == nil { item.error("exclusion \(index) (\(test)): expires must be a date YYYY-MM-DD") }
                filter.exclude.append(CISExclusion(test: test, reason: reason, expires: expires))
            }
            for number in filter.include where !CISNumber.isValid(number) {
                entry.error("include: '\(number)' is not a test or section number")
            }
            resultsFilters.append(filter)
        }
    }
}
