/// The flow-log identity of one side of a flow (Calico flow logs' `source_*` / `dest_*` fields).
public struct EndpointIdentity: Hashable, Sendable {
    public var kind: EndpointKind
    /// The namespace, or "-" when the side is not namespaced.
    public var namespace: String
    /// The full name: pod name, host endpoint name, network set name; "-" for other IPs.
    public var name: String
    /// `<generateName>*` for pods with a generateName, the network set's name, `pub`/`pvt`.
    public var aggregatedName: String
    /// The endpoint's own labels (pods, host endpoints, network sets), without implicit
    /// `projectcalico.org/*` labels.
    public var labels: [String: String]
    /// Service account of a pod, "" when not a pod.
    public var serviceAccount: String

    public init(kind: EndpointKind, namespace: String = "-", name: String = "-", aggregatedName: String,
                labels: [String: String] = [:], serviceAccount: String = "") {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.aggregatedName = aggregatedName
        self.labels = labels
        self.serviceAccount = serviceAccount
    }

    /// An address outside every known endpoint and network set: `pvt` for IPv4 RFC 1918 and
    /// `pub` for everything else, IPv6 ULA, CGNAT and loopback included, as Felix's flow logs
    /// classify it (a deliberately faithful quirk).
    public static func network(_ address: IPAddress) -> EndpointIdentity {
        EndpointIdentity(kind: .network, aggregatedName: address.isRFC1918 ? "pvt" : "pub")
    }
}

/// Flow-log endpoint types.
public enum EndpointKind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Workload endpoint (a pod).
    case workload = 1
    /// Host endpoint.
    case host = 2
    /// A NetworkSet or GlobalNetworkSet.
    case networkSet = 3
    /// Any other address.
    case network = 4

    /// `wep`, `hep`, `ns`, `net`.
    public var description: String {
        switch self {
        case .workload: return "wep"
        case .host: return "hep"
        case .networkSet: return "ns"
        case .network: return "net"
        }
    }

    public init?(flowLogName: String) {
        guard let kind = EndpointKind.allCases.first(where: { $0.description == flowLogName }) else { return nil }
        self = kind
    }
}
