/// The public shape of a CIS Kubernetes Benchmark run, for `flowlog config cis` and for
/// consumers such as the `cis-benchmark` report (documented in docs/config-audit.md).

/// A test's outcome, as kube-bench and Calico's benchmarker name them.
public enum CISStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case pass = "PASS", fail = "FAIL", warn = "WARN", info = "INFO"
}

/// An object a test found at fault, and why.
public struct CISOffender: Sendable, Hashable, Codable {
    /// `Kind namespace/name` (or `Kind name` for cluster-scoped objects).
    public let object: String
    public let detail: String

    public init(object: String, detail: String) {
        self.object = object
        self.detail = detail
    }
}

/// Where a test result came from.
public enum CISSource: String, Sendable, Hashable, Codable {
    /// Judged by flowlog from API objects (section 5).
    case apiObjects = "api-objects"
    /// Imported from `kube-bench --json` output (sections 1–4).
    case kubeBench = "kube-bench"
}

/// One test on one node ("cluster" for the section 5 tests judged from API objects).
public struct CISTestResult: Sendable, Hashable, Codable {
    public let node: String
    /// `5.3.2`.
    public let number: String
    /// `5.3`.
    public let section: String
    public let sectionTitle: String
    public let title: String
    public let scored: Bool
    public let status: CISStatus
    public let offenders: [CISOffender]
    public let remediation: String
    public let source: CISSource

    public init(node: String, number: String, section: String, sectionTitle: String, title: String, scored: Bool,
                status: CISStatus, offenders: [CISOffender], remediation: String, source: CISSource) {
        self.node = node
        self.number = number
        self.section = section
        self.sectionTitle = sectionTitle
        self.title = title
        self.scored = scored
        self.status = status
        self.offenders = offenders
        self.remediation = remediation
        self.source = source
    }
}

/// Calico's node rating: HIGH when the score reaches the high threshold, MED the medium one, else LOW.
public enum CISRating: String, Sendable, Hashable, Codable {
    case high = "HIGH", med = "MED", low = "LOW"
}

/// Per node: counts over the tests kept by the filters, score = 100·pass/(pass+fail).
public struct CISNodeSummary: Sendable, Hashable, Codable {
    public let node: String
    /// The Kubernetes version kube-bench detected ("" for the API-object tests).
    public let version: String
    public let passing: Int
    public let failing: Int
    /// WARN and INFO: outside the score's denominator.
    public let unknown: Int
    public let total: Int
    /// nil when no test passed or failed.
    public let score: Double?
    public let rating: CISRating
}

/// An exclusion as configured, with the mandatory reason and expiry date.
public struct CISExclusion: Sendable, Hashable, Codable {
    /// A test number (`1.1.12`) or a whole section (`1.2`).
    public let test: String
    public let reason: String
    /// `YYYY-MM-DD`; the exclusion applies through this day.
    public let expires: String

    public init(test: String, reason: String, expires: String) {
        self.test = test
        self.reason = reason
        self.expires = expires
    }

    /// Whether `number` is this test or in this section.
    public func covers(_ number: String) -> Bool { number == test || number.hasPrefix(test + ".") }
}

/// A test left out by an exclusion, with the exclusion that did it.
public struct CISExcludedTest: Sendable, Hashable, Codable {
    public let result: CISTestResult
    public let exclusion: CISExclusion
}

/// Everything one run produced.
public struct CISBenchmarkReport: Sendable, Hashable, Codable {
    public let benchmark: String
    /// The day the exclusions were judged against (`YYYY-MM-DD`).
    public let date: String
    public let settings: CISSettings
    /// Tests kept by the filters, per node, in test-number order.
    public let results: [CISTestResult]
    public let excluded: [CISExcludedTest]
    /// Exclusions past their date: no longer applied, reported so they are renewed or removed.
    public let expiredExclusions: [CISExclusion]
    public let nodes: [CISNodeSummary]
    public let highNodes: Int
    public let medNodes: Int
    public let lowNodes: Int
    /// The most failed tests across nodes (number, title, how many nodes), at most `numFailedTests`.
    public let topFailed: [CISFailedTest]
}

public struct CISFailedTest: Sendable, Hashable, Codable {
    public let number: String
    public let title: String
    public let count: Int
}
