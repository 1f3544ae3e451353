/// Builders for the manifest documents, in the field order `kubectl`/`calicoctl get -o yaml`
/// use (apiVersion, kind, metadata, spec, status).
enum Manifests {
    static let calicoAPI = "projectcalico.org/v3"

    static func metadata(name: String, namespace: String? = nil, labels: [(String, String)] = [],
                         extra: [(String, YAMLNode)] = []) -> YAMLNode {
        var fields: [(String, YAMLNode)] = []
        fields += extra.filter { $0.0 < "labels" }
        if !labels.isEmpty { fields.append(("labels", .labels(labels))) }
        fields.append(("name", .string(name)))
        if let namespace { fields.append(("namespace", .string(namespace))) }
        fields += extra.filter { $0.0 > "namespace" }
        return .map(fields)
    }

    /// A Calico resource (policy, network set, tier).
    static func calico(_ kind: String, name: String, namespace: String? = nil, labels: [(String, String)] = [],
                       spec: [(String, YAMLNode)]) -> YAMLNode {
        .map([
            ("apiVersion", .string(calicoAPI)),
            ("kind", .string(kind)),
            ("metadata", metadata(name: name, namespace: namespace, labels: labels)),
            ("spec", .map(spec)),
        ])
    }

    /// A Calico rule: action, then protocol, source and destination when given.
    static func rule(_ action: String, protocol proto: String? = nil, source: [(String, YAMLNode)] = [],
                     destination: [(String, YAMLNode)] = []) -> YAMLNode {
        var fields: [(String, YAMLNode)] = [("action", .string(action))]
        if let proto { fields.append(("protocol", .string(proto))) }
        if !source.isEmpty { fields.append(("source", .map(source))) }
        if !destination.isEmpty { fields.append(("destination", .map(destination))) }
        return .map(fields)
    }

    /// A `networking.k8s.io/v1` NetworkPolicy with ingress rules only.
    static func kubernetesPolicy(name: String, namespace: String, podSelector: [(String, String)],
                                 ingress: [YAMLNode]) -> YAMLNode {
        .map([
            ("apiVersion", .string("networking.k8s.io/v1")),
            ("kind", .string("NetworkPolicy")),
            ("metadata", metadata(name: name, namespace: namespace)),
            ("spec", .map([
                ("ingress", .list(ingress)),
                ("podSelector", .map([("matchLabels", .labels(podSelector))])),
                ("policyTypes", .strings(["Ingress"])),
            ])),
        ])
    }
}
