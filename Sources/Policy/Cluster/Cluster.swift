import FlowCore

/// Everything the policy stage knows about a cluster, as loaded from manifests.
///
/// A plain value: reloading builds a new one and a new `PolicyEngine` from it.
public struct Cluster: Sendable {
    public internal(set) var namespaces: [String: ClusterNamespace] = [:]
    public internal(set) var pods: [ClusterPod] = []
    public internal(set) var serviceAccounts: [String: ClusterServiceAccount] = [:]
    public internal(set) var services: [ClusterService] = []
    public internal(set) var networkSets: [ClusterNetworkSet] = []
    public internal(set) var hostEndpoints: [ClusterHostEndpoint] = []
    /// Built-in and declared tiers, plus tiers only named by policies; unsorted.
    public internal(set) var tierDefinitions: [String: PolicyTier] = [:]
    /// Enforced and staged policies of every kind.
    public internal(set) var policies: [ClusterPolicy] = []
    /// Calico `Profile` resources by name (not the derived `kns.`/`ksa.` ones).
    public internal(set) var profiles: [String: ClusterProfile] = [:]
    /// Resource kinds the loader does not model, with how many documents of each it skipped.
    public internal(set) var skippedKinds: [String: Int] = [:]
    /// Pods present in the manifests that get no workload endpoint (host network, finished).
    public internal(set) var skippedPods = 0
    /// Non-fatal findings (a policy naming a missing tier, an unknown profile, …).
    public internal(set) var warnings: [FlowlogError] = []
    public internal(set) var files: [String] = []

    public init() {
        for tier in PolicyTier.builtIn { tierDefinitions[tier.name] = tier }
    }

    /// Tiers in evaluation order (§1.2).
    public var tiers: [PolicyTier] {
        tierDefinitions.values.sorted(by: PolicyTier.sortsBefore)
    }

    /// Policies of one tier in evaluation order, staged ones included.
    public func policies(inTier name: String) -> [ClusterPolicy] {
        policies.filter { $0.tier == name }.sorted { ClusterPolicy.sortsBefore($0, $1) }
    }

    public var hasStagedPolicies: Bool { policies.contains { $0.kind.isStaged } }

    /// The namespace's labels as Calico exposes them (`projectcalico.org/name` always present).
    func namespaceLabels(_ name: String) -> [String: String] {
        var labels = namespaces[name]?.labels ?? [:]
        labels[ClusterLabels.name] = name
        return labels
    }

    func serviceAccountLabels(namespace: String, name: String) -> [String: String] {
        var labels = serviceAccounts["\(namespace)/\(name)"]?.labels ?? [:]
        labels[ClusterLabels.name] = name
        return labels
    }
}
