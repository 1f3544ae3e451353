/// The flow-log identity of one side of a flow (Calico flow logs' `source_*` / `dest_*` fields).
///
/// Copy-on-write storage in one shared box (see `FlowAnnotation`): the policy stage hands out
/// the same identity for every flow of an endpoint, and the store numbers identities by box
/// before it compares strings.
public struct EndpointIdentity: Hashable, Sendable {
    // Unchecked: copy-on-write, as `FlowAnnotation.Storage`; a shared box is never written.
    final class Storage: @unchecked Sendable {
        var kind: EndpointKind
        var namespace: String
        var name: String
        var aggregatedName: String
        var labels: [String: String]
        var serviceAccount: String

        init(kind: EndpointKind, namespace: String, name: String, aggregatedName: String,
             labels: [String: String], serviceAccount: String) {
            self.kind = kind
            self.namespace = namespace
            self.name = name
            self.aggregatedName = aggregatedName
            self.labels = labels
            self.serviceAccount = serviceAccount
        }

        func copy() -> Storage {
            Storage(kind: kind, namespace: namespace, name: name, aggregatedName: aggregatedName,
                    labels: labels, serviceAccount: serviceAccount)
        }
    }

    private var storage: Storage

    public init(kind: EndpointKind, namespace: String = "-", name: String = "-", aggregatedName: String,
                labels: [String: String] = [:], serviceAccount: String = "") {
        storage = Storage(kind: kind, namespace: namespace, name: name, aggregatedName: aggregatedName,
                          labels: labels, serviceAccount: serviceAccount)
    }

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    public var kind: EndpointKind {
        get { storage.kind }
        set { unique().kind = newValue }
    }
    /// The namespace, or "-" when the side is not namespaced.
    public var namespace: String {
        get { storage.namespace }
        set { unique().namespace = newValue }
    }
    /// The full name: pod name, host endpoint name, network set name; "-" for other IPs.
    public var name: String {
        get { storage.name }
        set { unique().name = newValue }
    }
    /// `<generateName>*` for pods with a generateName, the network set's name, `pub`/`pvt`.
    public var aggregatedName: String {
        get { storage.aggregatedName }
        set { unique().aggregatedName = newValue }
    }
    /// The endpoint's own labels (pods, host endpoints, network sets), without implicit
    /// `projectcalico.org/*` labels.
    public var labels: [String: String] {
        get { storage.labels }
        set { unique().labels = newValue }
    }
    /// Service account of a pod, "" when not a pod.
    public var serviceAccount: String {
        get { storage.serviceAccount }
        set { unique().serviceAccount = newValue }
    }

    /// Names the shared box: values with the same identity are equal. Stable while any value
    /// holding the box is alive.
    public var storageIdentity: ObjectIdentifier { ObjectIdentifier(storage) }

    public static func == (l: EndpointIdentity, r: EndpointIdentity) -> Bool {
        if l.storage === r.storage { return true }
        let a = l.storage, b = r.storage
        return a.kind == b.kind && a.name == b.name && a.namespace == b.namespace
            && a.aggregatedName == b.aggregatedName && a.serviceAccount == b.serviceAccount && a.labels == b.labels
    }

    public func hash(into hasher: inout Hasher) {
        let s = storage
        hasher.combine(s.kind)
        hasher.combine(s.namespace)
        hasher.combine(s.name)
        hasher.combine(s.aggregatedName)
        hasher.combine(s.labels)
        hasher.combine(s.serviceAccount)
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
