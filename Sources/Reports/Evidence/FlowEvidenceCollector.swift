import FlowCore
import SegmentStore

/// Scans the flow store over the report interval and gathers `FlowEvidence` for the in-scope
/// endpoints.
///
/// Flows of one block share a handful of annotation boxes, so each annotation is classified
/// once per block (by box identity; the block holds the boxes alive while it is visited) into
/// integers: the in-scope endpoint of each side, its matrix group, its name. Per flow the work is
/// then the time test, the address test for non-endpoints and counters in arrays; strings are
/// touched once per annotation and block (peer lists) and for denied flows (their groups).
struct FlowEvidenceCollector: StoreVisitor {
    let privateNetworks: PrivateNetworks
    let start: Timestamp
    let end: Timestamp
    private let endpointIndex: [PodOrHost: Int]
    private let keys: [EndpointKey]
    private var observations: [EndpointObservation]
    private var touched: [Bool]
    private var groups = Interned()
    private var names = Interned()
    /// Source group << 32 | destination group → counts.
    private var matrix: [Int: MatrixCell] = [:]
    private var timeline: [MatrixCell]
    private let bucketNanoseconds: UInt64
    private var denied: [DeniedKey: DeniedFlowGroup] = [:]
    private var counters = FlowEvidence()
    /// This block's annotations, classified.
    private var classified: [ObjectIdentifier: Int] = [:]
    private var sides: [Sides] = []

    /// Peer lists per endpoint stop growing here.
    static let maximumPeersListed = 256
    static let maximumDeniedGroups = 100_000
    static let timelineBuckets = 48
    static let topDeniedRows = 10
    static let internetGroup = 0, privateGroup = 1

    /// How a workload or host endpoint is found from a flow's identity.
    struct PodOrHost: Hashable {
        let kind: EndpointKind
        let namespace: String
        let name: String
    }

    private struct Side {
        /// Index into `keys`, -1 when not an in-scope endpoint.
        let endpoint: Int
        let isClusterEndpoint: Bool
        /// The matrix group of a cluster endpoint (its namespace, or `(hosts)`); -1 otherwise.
        let group: Int
        /// "" for host endpoints and other addresses.
        let namespace: String
        let name: Int
    }

    private struct Sides {
        let source: Side
        let destination: Side
        let verdict: Verdict
        /// Peer names of this annotation are recorded once per block, at its first allowed flow.
        var peersRecorded = false
    }

    private struct DeniedKey: Hashable {
        let source: Int
        let destination: Int
        let ipProtocol: UInt8
        let port: UInt16
    }

    /// Strings numbered in order of first use.
    struct Interned {
        private(set) var values: [String] = []
        private var index: [String: Int] = [:]
        mutating func number(_ value: String) -> Int {
            if let known = index[value] { return known }
            values.append(value)
            index[value] = values.count - 1
            return values.count - 1
        }
    }

    init(inScope: [EndpointKey], privateNetworks: PrivateNetworks, start: Timestamp, end: Timestamp) {
        var table: [PodOrHost: Int] = [:]
        for (i, key) in inScope.enumerated() {
            let kind: EndpointKind = key.kind == .pod ? .workload : .host
            table[PodOrHost(kind: kind, namespace: key.kind == .pod ? key.namespace : "-", name: key.name)] = i
        }
        endpointIndex = table
        keys = inScope
        observations = Array(repeating: EndpointObservation(), count: inScope.count)
        touched = Array(repeating: false, count: inScope.count)
        self.privateNetworks = privateNetworks
        self.start = start
        self.end = end
        _ = groups.number(FlowEvidence.internetGroup)
        _ = groups.number(FlowEvidence.privateGroup)
        timeline = Array(repeating: MatrixCell(), count: Self.timelineBuckets)
        let span = end.nanoseconds > start.nanoseconds ? end.nanoseconds - start.nanoseconds : 1
        bucketNanoseconds = max(1, (span + UInt64(Self.timelineBuckets) - 1) / UInt64(Self.timelineBuckets))
    }

    mutating func shouldRead(block digest: BlockDigest) -> Bool {
        classified.removeAll(keepingCapacity: true)
        sides.removeAll(keepingCapacity: true)
        return true
    }

    mutating func visit(_ record: AnnotatedFlow) -> Bool {
        counters.flowsScanned &+= 1
        guard record.flow.start < end, record.flow.end >= start, let annotation = record.annotation else { return true }
        let id = annotation.storageIdentity
        let k: Int
        if let known = classified[id] {
            k = known
        } else {
            sides.append(Sides(source: side(annotation.source), destination: side(annotation.destination), verdict: annotation.verdict))
            k = sides.count - 1
            classified[id] = k
        }
        let source = sides[k].source, destination = sides[k].destination
        guard source.endpoint >= 0 || destination.endpoint >= 0 else { return true }
        let flow = record.flow
        let allowed = sides[k].verdict == .allow
        let isDenied = sides[k].verdict == .deny
        counters.flowsInScope &+= 1
        let sourceInternet = !source.isClusterEndpoint && !privateNetworks.contains(flow.sourceAddress)
        let destinationInternet = !destination.isClusterEndpoint && !privateNetworks.contains(flow.destinationAddress)
        if allowed || isDenied {
            if allowed { counters.flowsAllowed &+= 1 } else { counters.flowsDenied &+= 1 }
            let sourceGroup = source.group >= 0 ? source.group : (sourceInternet ? Self.internetGroup : Self.privateGroup)
            let destinationGroup = destination.group >= 0 ? destination.group : (destinationInternet ? Self.internetGroup : Self.privateGroup)
            let cell = sourceGroup << 32 | destinationGroup
            if allowed { matrix[cell, default: MatrixCell()].allowed &+= 1 } else { matrix[cell, default: MatrixCell()].denied &+= 1 }
            let offset = flow.start > start ? flow.start.nanoseconds - start.nanoseconds : 0
            let bucket = min(Int(offset / bucketNanoseconds), Self.timelineBuckets - 1)
            if allowed { timeline[bucket].allowed &+= 1 } else { timeline[bucket].denied &+= 1 }
        }
        let recordPeers = allowed && !sides[k].peersRecorded
        if recordPeers { sides[k].peersRecorded = true }
        if source.endpoint >= 0 {
            let e = source.endpoint
            touched[e] = true
            if allowed {
                observations[e].allowedFlows &+= 1
                if destinationInternet { observations[e].allowedToInternet &+= 1 }
                if recordPeers {
                    Self.insert(names.values[destination.name], into: &observations[e].destinations)
                    if destination.isClusterEndpoint, !destination.namespace.isEmpty, destination.namespace != keys[e].namespace {
                        Self.insert(names.values[destination.name], into: &observations[e].otherNamespaceDestinations)
                    }
                }
            } else if isDenied {
                observations[e].deniedEgress &+= 1
            }
        }
        if destination.endpoint >= 0 {
            let e = destination.endpoint
            touched[e] = true
            if allowed {
                if source.endpoint != e { observations[e].allowedFlows &+= 1 }
                if sourceInternet { observations[e].allowedFromInternet &+= 1 }
                if recordPeers {
                    Self.insert(names.values[source.name], into: &observations[e].sources)
                    if source.isClusterEndpoint, !source.namespace.isEmpty, source.namespace != keys[e].namespace {
                        Self.insert(names.values[source.name], into: &observations[e].otherNamespaceSources)
                    }
                }
            } else if isDenied {
                observations[e].deniedIngress &+= 1
            }
        }
        if isDenied {
            let key = DeniedKey(source: source.name, destination: destination.name, ipProtocol: flow.ipProtocol.rawValue,
                                port: flow.destinationPort)
            if denied[key] != nil {
                denied[key]!.flows &+= 1
                denied[key]!.packets &+= flow.packets
            } else if denied.count < Self.maximumDeniedGroups {
                denied[key] = DeniedFlowGroup(source: names.values[source.name], destination: names.values[destination.name],
                                              ipProtocol: "\(flow.ipProtocol)", destinationPort: flow.destinationPort,
                                              flows: 1, packets: flow.packets)
            }
        }
        return true
    }

    /// The evidence, with the top denied flows picked (most flows first, then by name).
    func finished() -> FlowEvidence {
        var out = counters
        for (i, key) in keys.enumerated() where touched[i] { out.endpoints[key] = observations[i] }
        for (cell, counts) in matrix {
            out.matrix[groups.values[cell >> 32], default: [:]][groups.values[cell & 0xFFFF_FFFF]] = counts
        }
        out.timeline = timeline
        out.bucketNanoseconds = bucketNanoseconds
        out.topDenied = denied.values.sorted {
            ($0.flows, $1.source, $1.destination, $1.destinationPort) > ($1.flows, $0.source, $0.destination, $0.destinationPort)
        }.prefix(Self.topDeniedRows).map { $0 }
        return out
    }

    private static func insert(_ name: String, into set: inout Set<String>) {
        if set.count < maximumPeersListed { set.insert(name) }
    }

    private mutating func side(_ identity: EndpointIdentity) -> Side {
        switch identity.kind {
        case .workload:
            let e = endpointIndex[PodOrHost(kind: .workload, namespace: identity.namespace, name: identity.name)] ?? -1
            return Side(endpoint: e, isClusterEndpoint: true, group: groups.number(identity.namespace), namespace: identity.namespace,
                        name: names.number("Pod.v1(\(identity.namespace)/\(identity.name))"))
        case .host:
            let e = endpointIndex[PodOrHost(kind: .host, namespace: "-", name: identity.name)] ?? -1
            return Side(endpoint: e, isClusterEndpoint: true, group: groups.number(FlowEvidence.hostGroup), namespace: "",
                        name: names.number("HostEndpoint(\(identity.name))"))
        case .networkSet:
            let name = identity.namespace == "-" ? "GlobalNetworkSet(\(identity.name))" : "NetworkSet(\(identity.namespace)/\(identity.name))"
            return Side(endpoint: -1, isClusterEndpoint: false, group: -1, namespace: "", name: names.number(name))
        case .network:
            return Side(endpoint: -1, isClusterEndpoint: false, group: -1, namespace: "", name: names.number("Network(\(identity.aggregatedName))"))
        }
    }
}
