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

    /// The v3.32 tie-break string for equal orders: `<name>/<namespace>/<kind>`.
    var tieBreakKey: [UInt8] { Array("\(name)/\(namespace)/\(kind.resourceKind)".utf8) }

    /// Calico's `PolKVLess` (v3.32): lower order first (nil last), then the tie-break key.
    static func sortsBefore(_ a: ClusterPolicy, _ b: ClusterPolicy) -> Bool {
        switch (a.order, b.order) {
        case let (x?, y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a.tieBreakKey.lexicographicallyPrecedes(b.tieBreakKey)
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

public enum PolicyDirection: Hashable, Sendable, CustomStringConvertible {
    case ingress, egress
    public var description: String { self == .ingress ? "ingress" : "egress" }
}

extension PolicyKind {
    /// The resource kind as written in manifests.
    var resourceKind: String {
        switch self {
        case .globalNetworkPolicy: return "GlobalNetworkPolicy"
        case .networkPolicy: return "NetworkPolicy"
        case .kubernetesNetworkPolicy: return "KubernetesNetworkPolicy"
        case .stagedGlobalNetworkPolicy: return "StagedGlobalNetworkPolicy"
        case .stagedNetworkPolicy: return "StagedNetworkPolicy"
        case .stagedKubernetesNetworkPolicy: return "StagedKubernetesNetworkPolicy"
        case .profile: return "Profile"
        }
    }
}
