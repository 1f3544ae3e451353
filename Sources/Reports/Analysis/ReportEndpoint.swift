import FlowCore
import Policy

/// A workload or host endpoint as reports name it. Sorting puts pods by namespace and name
/// first, host endpoints after.
public struct EndpointKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public enum Kind: Int, Hashable, Sendable { case pod = 0, hostEndpoint = 1 }
    public let kind: Kind
    /// "" for host endpoints.
    public let namespace: String
    public let name: String

    public init(kind: Kind, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    /// Calico's resource naming, `Kind[.apiVersion](namespace/name)`, the apiVersion left out
    /// for projectcalico.org/v3 kinds: `Pod.v1(shop/api-1)`, `HostEndpoint(node-1-eth0)`.
    public var calicoName: String {
        switch kind {
        case .pod: return "Pod.v1(\(namespace)/\(name))"
        case .hostEndpoint: return "HostEndpoint(\(name))"
        }
    }

    public var description: String { calicoName }

    public static func < (a: EndpointKey, b: EndpointKey) -> Bool {
        (a.kind.rawValue, a.namespace, a.name) < (b.kind.rawValue, b.namespace, b.name)
    }
}

/// What a report needs of one endpoint in one cluster state.
struct ReportEndpoint {
    let key: EndpointKey
    let serviceAccount: String
    /// The labels selectors see (own plus Calico's implicit ones).
    let selectorLabels: [String: String]
    let addresses: [IPAddress]
    let profiles: [EndpointProfile]
    /// `<generateName>*`, or the name when the pod has none (flow logs' aggregation).
    let aggregationPrefix: String
    /// `Service.v1(ns/name)` of every service selecting the pod.
    let services: [String]
}

extension Cluster {
    /// Every workload and host endpoint, in `EndpointKey` order.
    func reportEndpoints() -> [ReportEndpoint] {
        var out: [ReportEndpoint] = []
        var selectingServices: [String: [ClusterService]] = [:]
        for service in services {
            if let selector = service.selector, !selector.isEmpty { selectingServices[service.namespace, default: []].append(service) }
        }
        for pod in pods {
            let services = (selectingServices[pod.namespace] ?? [])
                .filter { $0.selector!.allSatisfy { pod.labels[$0.key] == $0.value } }
                .map { "Service.v1(\($0.namespace)/\($0.name))" }.sorted()
            out.append(ReportEndpoint(
                key: EndpointKey(kind: .pod, namespace: pod.namespace, name: pod.name),
                serviceAccount: pod.serviceAccount, selectorLabels: selectorLabels(of: pod), addresses: pod.addresses,
                profiles: profiles(of: pod), aggregationPrefix: pod.generateName.isEmpty ? pod.name : pod.generateName + "*",
                services: services))
        }
        for hep in hostEndpoints {
            out.append(ReportEndpoint(
                key: EndpointKey(kind: .hostEndpoint, namespace: "", name: hep.name), serviceAccount: "",
                selectorLabels: selectorLabels(of: hep), addresses: hep.expectedIPs, profiles: profiles(of: hep),
                aggregationPrefix: hep.name, services: []))
        }
        return out.sorted { $0.key < $1.key }
    }
}

extension ClusterPolicy {
    /// Calico's naming of an applied policy: `GlobalNetworkPolicy(name)`, `NetworkPolicy(ns/name)`,
    /// Kubernetes ones as `NetworkPolicy.networking.k8s.io/v1(ns/name)`.
    var calicoName: String {
        let scoped = namespace.isEmpty ? name : "\(namespace)/\(name)"
        switch kind {
        case .kubernetesNetworkPolicy: return "NetworkPolicy.networking.k8s.io/v1(\(scoped))"
        case .stagedKubernetesNetworkPolicy: return "StagedKubernetesNetworkPolicy(\(scoped))"
        default: return "\(kind.resourceKind)(\(scoped))"
        }
    }

    func rules(for direction: PolicyDirection) -> [PolicyRule] { direction == .ingress ? ingress : egress }
    func hasType(_ direction: PolicyDirection) -> Bool { direction == .ingress ? appliesToIngress : appliesToEgress }

    func selects(_ endpoint: ReportEndpoint) -> Bool {
        if kind.isNamespaced, namespace != endpoint.key.namespace { return false }
        return selector.matches(endpoint.selectorLabels)
    }
}
