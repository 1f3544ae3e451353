import FlowCore

/// What a staged policy would do to the enforced set (`stagedAction`).
public enum StagedAction: String, Hashable, Sendable {
    case set = "Set", delete = "Delete", learn = "Learn", ignore = "Ignore"
}

/// A policy of any kind after conversion to Calico's model: Kubernetes NetworkPolicies are
/// already expanded (§1.3), selectors already carry their namespace scope (§2.6).
public struct ClusterPolicy: Hashable, Sendable {
    public let kind: PolicyKind
    /// "" for global kinds.
    public let namespace: String
    public let name: String
    public let tier: String
    /// nil = +infinity.
    public let order: Double?
    /// The effective selector, namespace clause and namespaceSelector folded in.
    public let selector: Selector
    public let appliesToIngress: Bool
    public let appliesToEgress: Bool
    public let ingress: [PolicyRule]
    public let egress: [PolicyRule]
    /// For staged kinds; `.set` otherwise.
    public let stagedAction: StagedAction
    /// Where it was defined, for messages.
    public let origin: String

    func rules(_ direction: PolicyDirection) -> [PolicyRule] { direction == .ingress ? ingress : egress }
    func applies(to direction: PolicyDirection) -> Bool { direction == .ingress ? appliesToIngress : appliesToEgress }

    /// The tie-break string for equal orders: v3.32 compares `<name>/<namespace>/<kind>`;
    /// v3.30/v3.31 compared the policy key name (`<tier>.<name>`, `<ns>/<tier>.<name>`,
    /// `<ns>/knp.default.<name>`, with `staged:` for staged kinds), the legacy flow-log name.
    func tieBreakKey(_ ordering: PolicyOrdering) -> [UInt8] {
        switch ordering {
        case .v3_32:
            return Array("\(name)/\(namespace)/\(kind.resourceKind)".utf8)
        case .v3_30:
            let legacy = hit(index: 0, action: .allow, ruleIndex: 0).legacyFlowLogString
            return Array(legacy.split(separator: "|", omittingEmptySubsequences: false)[2].utf8)
        }
    }

    /// Calico's `PolKVLess`: lower order first (nil last), then the tie-break key.
    static func sortsBefore(_ a: ClusterPolicy, _ b: ClusterPolicy, ordering: PolicyOrdering = .v3_32) -> Bool {
        orderPrecedes(a.order, b.order) ?? a.tieBreakKey(ordering).lexicographicallyPrecedes(b.tieBreakKey(ordering))
    }

    /// `sortsBefore` on the orders alone: nil when they tie and the tie-break key decides.
    static func orderPrecedes(_ a: Double?, _ b: Double?) -> Bool? {
        switch (a, b) {
        case let (x?, y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return nil
        }
    }

    /// The flow-log identity of this policy in a trace.
    func hit(index: Int, action: PolicyAction, ruleIndex: Int) -> PolicyHit {
        PolicyHit(index: index, tier: tier, kind: kind, namespace: namespace, name: name, action: action, ruleIndex: ruleIndex)
    }

    /// The enforced kind a staged kind stands in for.
    var enforcedCounterpart: PolicyKind {
        switch kind {
        case .stagedGlobalNetworkPolicy: return .globalNetworkPolicy
        case .stagedNetworkPolicy: return .networkPolicy
        case .stagedKubernetesNetworkPolicy: return .kubernetesNetworkPolicy
        default: return kind
        }
    }
}

/// Which Calico release's tie-break orders policies of equal `order` (§1.2).
public enum PolicyOrdering: Sendable {
    /// v3.32 and later: `<name>/<namespace>/<kind>` (the default).
    case v3_32
    /// v3.30 and v3.31: the legacy policy key name.
    case v3_30
}

public enum PolicyDirection: Hashable, Sendable, CustomStringConvertible {
    case ingress, egress
    public var description: String { self == .ingress ? "ingress" : "egress" }
}

extension PolicyKind {
    /// The resource kind as written in manifests.
    package var resourceKind: String {
        switch self {
        case .globalNetworkPolicy: return "GlobalNetworkPolicy"
        case .networkPolicy: return "NetworkPolicy"
        case .kubernetesNetworkPolicy: return "KubernetesNetworkPolicy"
        case .stagedGlobalNetworkPolicy: return "StagedGlobalNetworkPolicy"
        case .stagedNetworkPolicy: return "StagedNetworkPolicy"
        case .stagedKubernetesNetworkPolicy: return "StagedKubernetesNetworkPolicy"
        case .profile: return "Profile"
        case .clusterNetworkPolicy: return "KubernetesClusterNetworkPolicy"
        }
    }
}
