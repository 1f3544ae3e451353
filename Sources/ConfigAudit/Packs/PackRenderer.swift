import FlowCore
import Yams

/// Renders a pack for its scope namespaces as Calico and Kubernetes manifests (YAML), which
/// `flowlog policy check` loads and a Calico cluster accepts.
public enum PackRenderer {
    /// Annotation on every rendered object: the pack and its scope, read back by `check`.
    public static let packAnnotation = "flowlog.io/pack"
    public static let scopeAnnotation = "flowlog.io/pack-scope"

    /// Kubernetes namespace names: DNS-1123 labels.
    public static func validate(namespace: String) throws {
        let ok = !namespace.isEmpty && namespace.utf8.count <= 63
            && namespace.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
            && namespace.first != "-" && namespace.last != "-"
        if !ok { throw FlowlogError(.invalidArgument, "'\(namespace)' is not a namespace name (lower-case letters, digits and '-', at most 63)", location: .init(field: "--namespace")) }
    }

    /// The Calico selector for endpoints (or namespaces) in the scope.
    public static func scopeSelector(_ namespaces: [String]) -> String {
        "projectcalico.org/name in {" + namespaces.map { "'\($0)'" }.joined(separator: ", ") + "}"
    }

    public static func render(_ pack: CompliancePack, namespaces: [String]) throws -> String {
        for ns in namespaces { try validate(namespace: ns) }
        let scope = Array(Set(namespaces)).sorted()
        guard !scope.isEmpty else { throw FlowlogError(.invalidArgument, "give at least one --namespace", location: .init(field: "--namespace")) }
        let selector = scopeSelector(scope)
        let annotations: Node = .mapping(.init([(Node(packAnnotation), Node(pack.name)), (Node(scopeAnnotation), Node(scope.joined(separator: ",")))]))
        func metadata(_ name: String, namespace: String? = nil, labels: [String: String] = [:]) -> Node {
            var pairs: [(Node, Node)] = [(Node("name"), Node(name))]
            if let namespace { pairs.append((Node("namespace"), Node(namespace))) }
            if !labels.isEmpty {
                pairs.append((Node("labels"), .mapping(.init(labels.sorted { $0.key < $1.key }.map { (Node($0.key), Node($0.value)) }))))
            }
            pairs.append((Node("annotations"), annotations))
            return .mapping(.init(pairs))
        }
        func object(_ apiVersion: String, _ kind: String, _ metadata: Node, _ spec: Node) -> Node {
            .mapping(.init([(Node("apiVersion"), Node(apiVersion)), (Node("kind"), Node(kind)), (Node("metadata"), metadata), (Node("spec"), spec)]))
        }
        var documents: [Node] = []
        documents.append(object("projectcalico.org/v3", "Tier", metadata(pack.tier.name),
                                .mapping(.init([(Node("order"), Node(Self.number(pack.tier.order)))]))))
        for set in pack.networkSets {
            let nets: Node = .sequence(.init(set.nets.map { Node($0) }))
            documents.append(object("projectcalico.org/v3", "GlobalNetworkSet", metadata(set.name, labels: set.labels),
                                    .mapping(.init([(Node("nets"), nets)]))))
        }
        for policy in pack.policies {
            var spec = substitute(try parse(policy.spec), ["$SCOPE": selector])
            if case .mapping(let mapping) = spec {
                var pairs: [(Node, Node)] = [(Node("tier"), Node(pack.tier.name))]
                for (key, value) in mapping where key.string != "tier" { pairs.append((key, value)) }
                spec = .mapping(.init(pairs, mapping.tag, mapping.style))
            }
            documents.append(object("projectcalico.org/v3", "GlobalNetworkPolicy", metadata("\(pack.tier.name).\(policy.name)"), spec))
        }
        for namespace in scope {
            for o in pack.namespaced {
                documents.append(object(o.apiVersion, o.kind, metadata(o.name, namespace: namespace), substitute(try parse(o.spec), ["$NAMESPACE": namespace, "$SCOPE": selector])))
            }
        }
        for report in pack.reports {
            let endpoints: Node = .mapping(.init([(Node("namespaces"), .mapping(.init([(Node("names"), .sequence(.init(scope.map { Node($0) })))])))]))
            let spec: Node = .mapping(.init([(Node("reportType"), Node(report.reportType)), (Node("schedule"), Node(report.schedule, .implicit, .doubleQuoted)),
                                             (Node("endpoints"), endpoints)]))
            documents.append(object("projectcalico.org/v3", "GlobalReport", metadata("\(pack.name)-\(report.name)"), spec))
        }
        var text = "# flowlog pack \(pack.name): \(pack.title)\n# scope: \(scope.joined(separator: ", "))\n"
        text += "# Pod Security: label each scope namespace pod-security.kubernetes.io/enforce=\(pack.podSecurity.level.rawValue)"
        text += " and pod-security.kubernetes.io/enforce-version=\(pack.podSecurity.version)\n"
        for namespace in scope {
            text += "#   kubectl label --overwrite namespace \(namespace) pod-security.kubernetes.io/enforce=\(pack.podSecurity.level.rawValue) pod-security.kubernetes.io/enforce-version=\(pack.podSecurity.version)\n"
        }
        for document in documents {
            text += "---\n" + (try Yams.serialize(node: document, sortKeys: false))
        }
        return text
    }

    static func parse(_ text: String) throws -> Node {
        try Yams.compose(yaml: text) ?? .mapping(.init([]))
    }

    /// Replaces placeholders in every scalar.
    static func substitute(_ node: Node, _ values: [String: String]) -> Node {
        switch node {
        case .scalar(var scalar):
            for (key, value) in values where scalar.string.contains(key) {
                scalar.string = scalar.string.replacingOccurrences(of: key, with: value)
                scalar.style = .doubleQuoted
            }
            return .scalar(scalar)
        case .mapping(let mapping):
            return .mapping(.init(mapping.map { (substitute($0.key, values), substitute($0.value, values)) }, mapping.tag, mapping.style))
        case .sequence(let sequence):
            return .sequence(.init(sequence.map { substitute($0, values) }, sequence.tag, sequence.style))
        }
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
