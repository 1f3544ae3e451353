import FlowCore
import SegmentStore

/// Scans the flow store over the report interval and gathers `FlowEvidence` for the in-scope
/// endpoints.
///
/// Flows of one block share a handful of annotation boxes, so each annotation is classified
/// once per block (by box identity; the block holds the boxes alive while it is visited) and
/// the per-flow work is the address test and a few counters.
struct FlowEvidenceCollector: StoreVisitor {
    let inScope: [PodOrHost: EndpointKey]
    let privateNetworks: PrivateNetworks
    let start: Timestamp
    let end: Timestamp
    var evidence = FlowEvidence()
    private var classified: [ObjectIdentifier: Sides] = [:]
    private var denied: [DeniedKey: DeniedFlowGroup] = [:]

    /// Peer lists per endpoint stop growing here (the count of distinct peers is still exact in JSON).
    static let maximumPeersListed = 256
    static let maximumDeniedGroups = 100_000
    static let timelineBuckets = 48
    static let topDeniedRows = 10

    /// How a workload or host endpoint is found from a flow's identity.
    struct PodOrHost: Hashable {
        let kind: EndpointKind
        let namespace: String
        let name: String
    }

    private struct Side {
        let key: EndpointKey?
        let isClusterEndpoint: Bool
        /// The matrix group for cluster endpoints: namespace or `(hosts)`; nil for other addresses.
        let group: String?
        let namespace: String
        let calicoName: String
    }

    private struct Sides {
        let source: Side
        let destination: Side
        let verdict: Verdict
    }

    private struct DeniedKey: Hashable {
        let source: String
        let destination: String
        let ipProtocol: UInt8
        let port: UInt16
    }

    init(inScope: [EndpointKey], privateNetworks: PrivateNetworks, start: Timestamp, end: Timestamp) {
        var table: [PodOrHost: EndpointKey] = [:]
        for key in inScope {
            let kind: EndpointKind = key.kind == .pod ? .workload : .host
            table[PodOrHost(kind: kind, namespace: key.kind == .pod ? key.namespace : "-", name: key.name)] = key
        }
        self.inScope = table
        self.privateNetworks = privateNetworks
        self.start = start
        self.end = end
        evidence.timeline = Array(repeating: MatrixCell(), count: Self.timelineBuckets)
        let span = end.nanoseconds > start.nanoseconds ? end.nanoseconds - start.nanoseconds : 1
        evidence.bucketNanoseconds = max(1, (span + UInt64(Self.timelineBuckets) - 1) / UInt64(Self.timelineBuckets))
    }

    mutating func shouldRead(block digest: BlockDigest) -> Bool {
        classified.removeAll(keepingCapacity: true)
        return true
    }

    mutating func visit(_ record: AnnotatedFlow) -> Bool {
        evidence.flowsScanned &+= 1
        let flow = record.flow
        guard flow.start < end, flow.end >= start, let annotation = record.annotation else { return true }
        let id = annotation.storageIdentity
        let sides: Sides
        if let known = classified[id] {
            sides = known
        } else {
            sides = Sides(source: side(annotation.source), destination: side(annotation.destination), verdict: annotation.verdict)
            classified[id] = sides
        }
        guard sides.source.key != nil || sides.destination.key != nil else { return true }
        let allowed = sides.verdict == .allow
        let isDenied = sides.verdict == .deny
        evidence.flowsInScope &+= 1
        if allowed { evidence.flowsAllowed &+= 1 }
        if isDenied { evidence.flowsDenied &+= 1 }
        let sourceInternet = !sides.source.isClusterEndpoint && !privateNetworks.contains(flow.sourceAddress)
        let destinationInternet = !sides.destination.isClusterEndpoint && !privateNetworks.contains(flow.destinationAddress)
        let sourceGroup = sides.source.group ?? (sourceInternet ? FlowEvidence.internetGroup : FlowEvidence.privateGroup)
        let destinationGroup = sides.destination.group ?? (destinationInternet ? FlowEvidence.internetGroup : FlowEvidence.privateGroup)
        if allowed || isDenied {
            var cell = evidence.matrix[sourceGroup, default: [:]][destinationGroup, default: MatrixCell()]
            if allowed { cell.allowed &+= 1 } else { cell.denied &+= 1 }
            evidence.matrix[sourceGroup, default: [:]][destinationGroup] = cell
            let offset = flow.start > start ? flow.start.nanoseconds - start.nanoseconds : 0
            let bucket = min(Int(offset / evidence.bucketNanoseconds), Self.timelineBuckets - 1)
            if allowed { evidence.timeline[bucket].allowed &+= 1 } else { evidence.timeline[bucket].denied &+= 1 }
        }
        if let key = sides.source.key {
            var o = evidence.endpoints[key, default: EndpointObservation()]
            if allowed {
                o.allowedFlows &+= 1
                if destinationInternet { o.allowedToInternet &+= 1 }
                Self.insert(sides.destination.calicoName, into: &o.destinations)
                if sides.destination.key?.kind == .pod || sides.destination.group != nil,
                   sides.destination.isClusterEndpoint, sides.destination.namespace != key.namespace, !sides.destination.namespace.isEmpty {
                    Self.insert(sides.destination.calicoName, into: &o.otherNamespaceDestinations)
                }
            } else if isDenied {
                o.deniedEgress &+= 1
            }
            evidence.endpoints[key] = o
        }
        if let key = sides.destination.key {
            var o = evidence.endpoints[key, default: EndpointObservation()]
            if allowed {
                if sides.source.key != key { o.allowedFlows &+= 1 }
                if sourceInternet { o.allowedFromInternet &+= 1 }
                Self.insert(sides.source.calicoName, into: &o.sources)
                if sides.source.isClusterEndpoint, sides.source.namespace != key.namespace, !sides.source.namespace.isEmpty {
                    Self.insert(sides.source.calicoName, into: &o.otherNamespaceSources)
                }
            } else if isDenied {
                o.deniedIngress &+= 1
            }
            evidence.endpoints[key] = o
        }
        if isDenied {
            let k = DeniedKey(source: sides.source.calicoName, destination: sides.destination.calicoName,
                              ipProtocol: flow.ipProtocol.rawValue, port: flow.destinationPort)
            if var group = denied[k] {
                group.flows &+= 1
                group.packets &+= flow.packets
                denied[k] = group
            } else if denied.count < Self.maximumDeniedGroups {
                denied[k] = DeniedFlowGroup(source: k.source, destination: k.destination, ipProtocol: "\(flow.ipProtocol)",
                                            destinationPort: flow.destinationPort, flows: 1, packets: flow.packets)
            }
        }
        return true
    }

    /// The evidence with the top denied flows picked (most flows first, then by name).
    func finished() -> FlowEvidence {
        var out = evidence
        out.topDenied = denied.values.sorted {
            ($0.flows, $1.source, $1.destination, $1.destinationPort) > ($1.flows, $0.source, $0.destination, $0.destinationPort)
        }.prefix(Self.topDeniedRows).map { $0 }
        return out
    }

    private static func insert(_ name: String, into set: inout Set<String>) {
        if set.count < maximumPeersListed { set.insert(name) }
    }

    private func side(_ identity: EndpointIdentity) -> Side {
        switch identity.kind {
        case .workload:
            let key = inScope[PodOrHost(kind: .workload, namespace: identity.namespace, name: identity.name)]
            return Side(key: key, isClusterEndpoint: true, group: identity.namespace, namespace: identity.namespace,
                        calicoName: "Pod.v1(\(identity.namespace)/\(identity.name))")
        case .host:
            let key = inScope[PodOrHost(kind: .host, namespace: "-", name: identity.name)]
            return Side(key: key, isClusterEndpoint: true, group: FlowEvidence.hostGroup, namespace: "",
                        calicoName: "HostEndpoint(\(identity.name))")
        case .networkSet:
            let name = identity.namespace == "-" ? "GlobalNetworkSet(\(identity.name))" : "NetworkSet(\(identity.namespace)/\(identity.name))"
            return Side(key: nil, isClusterEndpoint: false, group: nil, namespace: "", calicoName: name)
        case .network:
            return Side(key: nil, isClusterEndpoint: false, group: nil, namespace: "", calicoName: "Network(\(identity.aggregatedName))")
        }
    }
}
