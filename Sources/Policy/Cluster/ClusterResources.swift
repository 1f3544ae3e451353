import FlowCore

/// A v1 Namespace. `labels` includes `kubernetes.io/metadata.name`, which the API server always sets.
public struct ClusterNamespace: Hashable, Sendable {
    public let name: String
    public let labels: [String: String]
}

/// A port a container or host endpoint declares by name (the target of named-port rules).
public struct NamedPort: Hashable, Sendable {
    public let name: String
    public let ipProtocol: IPProtocol
    public let port: UInt16
}

/// A v1 Pod that Calico gives a workload endpoint (not host-networked, not finished).
public struct ClusterPod: Hashable, Sendable {
    public let namespace: String
    public let name: String
    /// "" when the pod has none.
    public let generateName: String
    public let labels: [String: String]
    /// `default` when the manifest names none, as the API server stores it.
    public let serviceAccount: String
    public let addresses: [IPAddress]
    public let ports: [NamedPort]
    public let node: String
}

public struct ClusterServiceAccount: Hashable, Sendable {
    public let namespace: String
    public let name: String
    public let labels: [String: String]
}

/// A v1 Service: used to name the destination service of a flow.
public struct ClusterService: Hashable, Sendable {
    public let namespace: String
    public let name: String
    /// nil for a service without a selector (its endpoints are managed elsewhere).
    public let selector: [String: String]?
    public let clusterIPs: [IPAddress]
}

/// A NetworkSet (namespaced) or GlobalNetworkSet (`namespace == ""`).
public struct ClusterNetworkSet: Hashable, Sendable {
    public let namespace: String
    public let name: String
    public let labels: [String: String]
    public let nets: [IPPrefix]
    public var isGlobal: Bool { namespace.isEmpty }
}

/// A Calico HostEndpoint.
public struct ClusterHostEndpoint: Hashable, Sendable {
    public let name: String
    public let node: String
    public let interfaceName: String
    public let labels: [String: String]
    public let expectedIPs: [IPAddress]
    public let profiles: [String]
    public let ports: [NamedPort]
    /// Where it was defined, for messages.
    public var origin: String = ""
}

/// A Calico `Profile` resource: rules evaluated after every tier for the endpoints that list
/// it, and labels those endpoints inherit. Pods' `kns.`/`ksa.` profiles are not stored here:
/// Calico derives them from namespaces and service accounts.
public struct ClusterProfile: Hashable, Sendable {
    public let name: String
    /// Labels every endpoint listing the profile inherits (its own labels take precedence).
    public let labelsToApply: [String: String]
    public let ingress: [PolicyRule]
    public let egress: [PolicyRule]
    public let origin: String

    /// The profile every auto host endpoint lists: allow everything, no labels.
    public static let defaultAllowName = "projectcalico-default-allow"

    /// The profile as a policy of kind `.profile`, so its rules compile and match like any other.
    var asPolicy: ClusterPolicy {
        ClusterPolicy(kind: .profile, namespace: "", name: name, tier: PolicyHit.profileTier, order: nil, selector: .all,
                      appliesToIngress: true, appliesToEgress: true, ingress: ingress, egress: egress,
                      stagedAction: .set, origin: origin)
    }
}

/// A policy tier, built-in or from a `Tier` resource.
public struct PolicyTier: Hashable, Sendable {
    public let name: String
    /// nil sorts after every ordered tier.
    public let order: Double?
    /// `.deny` or `.pass`.
    public let defaultAction: PolicyAction
    /// False for a tier only named by a policy (its Tier object is missing); such tiers sort last.
    public let exists: Bool

    public static let defaultTierName = "default"
    /// The tiers Calico always has, with their fixed order and default action (§1.1).
    public static let builtIn: [PolicyTier] = [
        PolicyTier(name: "kube-admin", order: 1_000, defaultAction: .pass, exists: true),
        PolicyTier(name: "default", order: 1_000_000, defaultAction: .deny, exists: true),
        PolicyTier(name: "kube-baseline", order: 10_000_000, defaultAction: .pass, exists: true),
    ]

    /// Calico's `TierLess`: existing tiers first, ordered before unordered, lower order, then name.
    static func sortsBefore(_ a: PolicyTier, _ b: PolicyTier) -> Bool {
        if a.exists != b.exists { return a.exists }
        switch (a.order, b.order) {
        case let (x?, y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return Array(a.name.utf8).lexicographicallyPrecedes(Array(b.name.utf8))
        }
    }
}
