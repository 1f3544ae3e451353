/// What `flowlog pack check` answers: per requirement, pass or fail with the evidence.
public enum PackCheckStatus: String, Sendable, Hashable, Codable {
    case pass, fail
    /// Nothing could be judged (flow checks without `--data`).
    case notEvaluated = "not-evaluated"
}

public struct PackEvidence: Sendable, Hashable, Codable {
    /// `policy pci-dss.cde-ingress`, `expectation outside-to-cde`, `podSecurity`, …
    public let check: String
    public let status: PackCheckStatus
    public let details: [String]
}

public struct PackRequirementResult: Sendable, Hashable, Codable {
    public let id: String
    public let title: String
    public let status: PackCheckStatus
    public let evidence: [PackEvidence]
}

public struct PackCheckReport: Sendable, Hashable, Codable {
    public let pack: String
    public let title: String
    /// The scope namespaces, read back from the rendered policies' annotation.
    public let scope: [String]
    public let requirements: [PackRequirementResult]

    public var passed: Bool { requirements.allSatisfy { $0.status != .fail } }
}
