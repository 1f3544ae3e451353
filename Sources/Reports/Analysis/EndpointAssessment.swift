import Policy

/// Calico's compliance flags (compliance §1.5), computed as Calico computes them: applied
/// policies' `types`, and a static reading of every Allow rule in them.
public struct CalicoFlags: Sendable, Hashable {
    public var ingressProtected = false
    public var egressProtected = false
    public var ingressFromInternet = false
    public var egressToInternet = false
    public var ingressFromOtherNamespace = false
    public var egressToOtherNamespace = false

    public init() {}
}

/// flowlog's reading of the same questions, with the tier engine's order of evaluation.
public struct AssessedFlags: Sendable, Hashable {
    /// Traffic no Allow rule explicitly admits is denied: some tier ends in a default deny (or a
    /// match-all Deny) before the profiles, and no reachable Allow rule matches everything.
    public var ingressDefaultDeny = false
    public var egressDefaultDeny = false
    /// A reachable Allow rule (or the allowing profile, when every tier passes) admits an
    /// address outside the private ranges / a pod of another namespace.
    public var ingressFromInternet = false
    public var egressToInternet = false
    public var ingressFromOtherNamespace = false
    public var egressToOtherNamespace = false

    public init() {}
}

/// One endpoint over the report interval: in scope at some moment, its flags combined over
/// every moment (protection must hold throughout, exposure at any time counts).
public struct EndpointAssessment: Sendable {
    public let key: EndpointKey
    public var serviceAccount: String
    public var aggregationPrefix: String
    public var appliedPolicies: [String]
    public var services: [String]
    public var calico: CalicoFlags
    public var assessed: AssessedFlags
    /// Why a direction is not default-deny, or which rule exposes it: short sentences for people.
    public var findings: [String]

    /// Folds in the same endpoint's assessment at a later moment.
    mutating func merge(_ later: EndpointAssessment) {
        serviceAccount = later.serviceAccount
        appliedPolicies = Array(Set(appliedPolicies).union(later.appliedPolicies)).sorted()
        services = Array(Set(services).union(later.services)).sorted()
        calico.ingressProtected = calico.ingressProtected && later.calico.ingressProtected
        calico.egressProtected = calico.egressProtected && later.calico.egressProtected
        calico.ingressFromInternet = calico.ingressFromInternet || later.calico.ingressFromInternet
        calico.egressToInternet = calico.egressToInternet || later.calico.egressToInternet
        calico.ingressFromOtherNamespace = calico.ingressFromOtherNamespace || later.calico.ingressFromOtherNamespace
        calico.egressToOtherNamespace = calico.egressToOtherNamespace || later.calico.egressToOtherNamespace
        assessed.ingressDefaultDeny = assessed.ingressDefaultDeny && later.assessed.ingressDefaultDeny
        assessed.egressDefaultDeny = assessed.egressDefaultDeny && later.assessed.egressDefaultDeny
        assessed.ingressFromInternet = assessed.ingressFromInternet || later.assessed.ingressFromInternet
        assessed.egressToInternet = assessed.egressToInternet || later.assessed.egressToInternet
        assessed.ingressFromOtherNamespace = assessed.ingressFromOtherNamespace || later.assessed.ingressFromOtherNamespace
        assessed.egressToOtherNamespace = assessed.egressToOtherNamespace || later.assessed.egressToOtherNamespace
        for finding in later.findings where !findings.contains(finding) { findings.append(finding) }
    }
}
