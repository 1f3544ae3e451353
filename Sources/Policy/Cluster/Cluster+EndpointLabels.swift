import FlowCore

/// A profile an endpoint falls back on when every tier passed (calico-semantics §1.3).
public struct EndpointProfile: Hashable, Sendable {
    public let name: String
    /// True for profiles that allow every packet (`kns.<namespace>`, `projectcalico-default-allow`);
    /// `ksa.*` and unknown profiles have no rules.
    public let allowsAll: Bool
}

/// The labels selectors see and the profiles Calico gives each endpoint: shared by the policy
/// engine and by the evidence side (reports), so both read an endpoint the same way.
extension Cluster {
    /// A pod's own labels plus what Calico adds (§2.6): `projectcalico.org/*`, `pcns.*`, `pcsa.*`.
    public func selectorLabels(of pod: ClusterPod) -> [String: String] {
        selectorLabels(of: pod, inherited: inheritedLabels(namespace: pod.namespace, serviceAccount: pod.serviceAccount))
    }

    /// What a pod in `namespace` running as `serviceAccount` inherits: its namespace's labels
    /// as `pcns.*`, its service account's as `pcsa.*`. The same for every such pod, so an
    /// index of many pods makes it once per pair (`selectorLabels(of:inherited:)`).
    func inheritedLabels(namespace: String, serviceAccount: String) -> [String: String] {
        var labels: [String: String] = [:]
        for (k, v) in namespaceLabels(namespace) { labels[ClusterLabels.namespacePrefix + k] = v }
        for (k, v) in serviceAccountLabels(namespace: namespace, name: serviceAccount) {
            labels[ClusterLabels.serviceAccountPrefix + k] = v
        }
        return labels
    }

    /// `selectorLabels(of:)` from the pod's `inheritedLabels`: its own labels win over them.
    func selectorLabels(of pod: ClusterPod, inherited: [String: String]) -> [String: String] {
        var labels = inherited
        for (k, v) in pod.labels { labels[k] = v }
        labels[ClusterLabels.namespace] = pod.namespace
        labels[ClusterLabels.orchestrator] = "k8s"
        if pod.serviceAccount.utf8.count < 63 { labels[ClusterLabels.serviceAccount] = pod.serviceAccount }
        return labels
    }

    /// A network set's labels, with its namespace's (as `pcns.*`) when it is namespaced.
    public func selectorLabels(of set: ClusterNetworkSet) -> [String: String] {
        var labels: [String: String] = [:]
        if !set.isGlobal {
            for (k, v) in namespaceLabels(set.namespace) { labels[ClusterLabels.namespacePrefix + k] = v }
        }
        for (k, v) in set.labels { labels[k] = v }
        if !set.isGlobal { labels[ClusterLabels.namespace] = set.namespace }
        return labels
    }

    /// A host endpoint's labels with what its profiles apply: the endpoint's own labels win,
    /// then the first profile in its list that sets the label (`kns.<ns>` applies the
    /// namespace's labels as `pcns.*`, as it does for pods).
    public func selectorLabels(of hostEndpoint: ClusterHostEndpoint) -> [String: String] {
        var labels = hostEndpoint.labels
        for name in hostEndpoint.profiles {
            var applied = profiles[name]?.labelsToApply ?? [:]
            if name.hasPrefix("kns."), namespaces[String(name.dropFirst(4))] != nil {
                for (k, v) in namespaceLabels(String(name.dropFirst(4))) { applied[ClusterLabels.namespacePrefix + k] = v }
            }
            for (k, v) in applied where labels[k] == nil { labels[k] = v }
        }
        return labels
    }

    /// `kns.<namespace>` allows everything; `ksa.<namespace>.<account>` has no rules.
    public func profiles(of pod: ClusterPod) -> [EndpointProfile] {
        [EndpointProfile(name: "kns.\(pod.namespace)", allowsAll: true),
         EndpointProfile(name: "ksa.\(pod.namespace).\(pod.serviceAccount)", allowsAll: false)]
    }

    /// A host endpoint's declared profiles; only `projectcalico-default-allow` and the
    /// namespace profiles of existing namespaces allow anything.
    public func profiles(of hostEndpoint: ClusterHostEndpoint) -> [EndpointProfile] {
        hostEndpoint.profiles.map { name in
            if name == ClusterProfile.defaultAllowName { return EndpointProfile(name: name, allowsAll: true) }
            if name.hasPrefix("kns."), namespaces[String(name.dropFirst(4))] != nil {
                return EndpointProfile(name: name, allowsAll: true)
            }
            return EndpointProfile(name: name, allowsAll: false)
        }
    }
}
