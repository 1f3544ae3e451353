import FlowCore
import SegmentStore

/// Scans the flow store over the report interval and gathers `FlowEvidence` for the in-scope
/// endpoints.
///
/// No string is built or hashed per flow. Each endpoint identity is classified into integers
/// (the in-scope endpoint it is, its matrix group, its name's number) the first time the scan
/// meets it. Flows of one block share the block's identity and annotation boxes (the block holds
/// them alive while it is visited), so within a block an identity is found again by its box,
/// and its strings are hashed once per block, not once per flow; an annotation is classified
/// once per block the same way. Per flow the work is the time test, the address test for
/// non-endpoints, and counters in arrays; names, peer sets and the denied rows become strings
/// when the scan is finished.
struct FlowEvidenceCollector: StoreVisitor {
    let privateNetworks: PrivateNetworks
    let start: Timestamp
    let end: Timestamp
    private let endpointIndex: [PodOrHost: Int]
    private let keys: [EndpointKey]
    /// Each in-scope endpoint's namespace group; -2 for host endpoints (no namespace).
    private let endpointGroups: [Int]
    private var observations: [EndpointObservation]
    private var peers: [PeerNumbers]
    private var touched: [Bool]
    private var groups = Interned()
    private var names = Interned()
    /// Every distinct endpoint identity of the scan, classified.
    private var sideNumbers: [SideKey: Int] = [:]
    private var sideTable: [Side] = []
    /// This block's identity and annotation boxes, classified.
    private var blockIdentities: [ObjectIdentifier: Int] = [:]
    private var classified: [ObjectIdentifier: Int] = [:]
    private var classes: [AnnotationClass] = []
    /// Source group << 32 | destination group → index into `matrixCells`.
    private var matrixIndex: [Int: Int] = [:]
    private var matrixKeys: [Int] = []
    private var matrixCells: [MatrixCell] = []
    private var timeline: [MatrixCell]
    private let bucketNanoseconds: UInt64
    private var deniedIndex: [DeniedKey: Int] = [:]
    private var deniedKeys: [DeniedKey] = []
    private var deniedCounts: [DeniedCounts] = []
    private var counters = FlowEvidence()

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

    /// What tells two identities apart for a report: kind, namespace and name (the aggregated
    /// name for networks).
    private struct SideKey: Hashable {
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
        /// A workload (it has a namespace to compare).
        let isNamespaced: Bool
        let name: Int
    }

    /// One annotation of a block: its two sides, its verdict, and the matrix cell of each
    /// (source is internet, destination is internet) combination once met.
    private struct AnnotationClass {
        let source: Int
        let destination: Int
        let verdict: Verdict
        /// Peer names of this annotation are recorded once per block, at its first allowed flow.
        var peersRecorded = false
        var cells: (Int32, Int32, Int32, Int32) = (-1, -1, -1, -1)

        func cell(_ combination: Int) -> Int32 {
            switch combination {
            case 0: return cells.0
            case 1: return cells.1
            case 2: return cells.2
            default: return cells.3
            }
        }

        mutating func setCell(_ combination: Int, _ value: Int32) {
            switch combination {
            case 0: cells.0 = value
            case 1: cells.1 = value
            case 2: cells.2 = value
            default: cells.3 = value
            }
        }
    }

    /// Peer names by number, per in-scope endpoint.
    private struct PeerNumbers {
        var sources: Set<Int> = []
        var destinations: Set<Int> = []
        var otherNamespaceSources: Set<Int> = []
        var otherNamespaceDestinations: Set<Int> = []
    }

    private struct DeniedCounts {
        var flows: UInt64
        var packets: UInt64
    }

    private struct DeniedKey: Hashable {
        let source: Int
        let destination: Int
        let ipProtocol: IPProtocol
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
        peers = Array(repeating: PeerNumbers(), count: inScope.count)
        touched = Array(repeating: false, count: inScope.count)
        self.privateNetworks = privateNetworks
        self.start = start
        self.end = end
        var groups = Interned()
        _ = groups.number(FlowEvidence.internetGroup)
        _ = groups.number(FlowEvidence.privateGroup)
        endpointGroups = inScope.map { $0.kind == .pod ? groups.number($0.namespace) : -2 }
        self.groups = groups
        timeline = Array(repeating: MatrixCell(), count: Self.timelineBuckets)
        let span = end.nanoseconds > start.nanoseconds ? end.nanoseconds - start.nanoseconds : 1
        bucketNanoseconds = max(1, (span + UInt64(Self.timelineBuckets) - 1) / UInt64(Self.timelineBuckets))
    }

    mutating func shouldRead(block digest: BlockDigest) -> Bool {
        blockIdentities.removeAll(keepingCapacity: true)
        classified.removeAll(keepingCapacity: true)
        classes.removeAll(keepingCapacity: true)
        return true
    }

    mutating func visit(_ record: AnnotatedFlow) -> Bool {
        counters.flowsScanned &+= 1
        guard record.flow.start < end, record.flow.end >= start, let annotation = record.annotation else { return true }
        let k: Int
        if let known = classified[annotation.storageIdentity] {
            k = known
        } else {
            classes.append(AnnotationClass(source: sideNumber(annotation.source), destination: sideNumber(annotation.destination),
                                           verdict: annotation.verdict))
            k = classes.count - 1
            classified[annotation.storageIdentity] = k
        }
        let source = sideTable[classes[k].source], destination = sideTable[classes[k].destination]
        guard source.endpoint >= 0 || destination.endpoint >= 0 else { return true }
        let flow = record.flow
        let allowed = classes[k].verdict == .allow
        let isDenied = classes[k].verdict == .deny
        counters.flowsInScope &+= 1
        let sourceInternet = !source.isClusterEndpoint && !privateNetworks.contains(flow.sourceAddress)
        let destinationInternet = !destination.isClusterEndpoint && !privateNetworks.contains(flow.destinationAddress)
        if allowed || isDenied {
            if allowed { counters.flowsAllowed &+= 1 } else { counters.flowsDenied &+= 1 }
            let combination = (sourceInternet ? 1 : 0) | (destinationInternet ? 2 : 0)
            var cell = Int(classes[k].cell(combination))
            if cell < 0 {
                cell = matrixCell(source: source.group >= 0 ? source.group : (sourceInternet ? Self.internetGroup : Self.privateGroup),
                                  destination: destination.group >= 0 ? destination.group : (destinationInternet ? Self.internetGroup : Self.privateGroup))
                classes[k].setCell(combination, Int32(cell))
            }
            let offset = flow.start > start ? flow.start.nanoseconds - start.nanoseconds : 0
            let bucket = min(Int(offset / bucketNanoseconds), Self.timelineBuckets - 1)
            if allowed {
                matrixCells[cell].allowed &+= 1
                timeline[bucket].allowed &+= 1
            } else {
                matrixCells[cell].denied &+= 1
                timeline[bucket].denied &+= 1
            }
        }
        let recordPeers = allowed && !classes[k].peersRecorded
        if recordPeers { classes[k].peersRecorded = true }
        if source.endpoint >= 0 {
            let e = source.endpoint
            touched[e] = true
            if allowed {
                observations[e].allowedFlows &+= 1
                if destinationInternet { observations[e].allowedToInternet &+= 1 }
                if recordPeers {
                    Self.insert(destination.name, into: &peers[e].destinations)
                    if destination.isNamespaced, destination.group != endpointGroups[e] {
                        Self.insert(destination.name, into: &peers[e].otherNamespaceDestinations)
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
                    Self.insert(source.name, into: &peers[e].sources)
                    if source.isNamespaced, source.group != endpointGroups[e] {
                        Self.insert(source.name, into: &peers[e].otherNamespaceSources)
                    }
                }
            } else if isDenied {
                observations[e].deniedIngress &+= 1
            }
        }
        if isDenied {
            let key = DeniedKey(source: source.name, destination: destination.name, ipProtocol: flow.ipProtocol, port: flow.destinationPort)
            if let i = deniedIndex[key] {
                deniedCounts[i].flows &+= 1
                deniedCounts[i].packets &+= flow.packets
            } else if deniedKeys.count < Self.maximumDeniedGroups {
                deniedIndex[key] = deniedKeys.count
                deniedKeys.append(key)
                deniedCounts.append(DeniedCounts(flows: 1, packets: flow.packets))
            }
        }
        return true
    }

    /// The evidence, with the top denied flows picked (most flows first, then by name).
    func finished() -> FlowEvidence {
        var out = counters
        func strings(_ numbers: Set<Int>) -> Set<String> { Set(numbers.map { names.values[$0] }) }
        for (i, key) in keys.enumerated() where touched[i] {
            var seen = observations[i]
            seen.sources = strings(peers[i].sources)
            seen.destinations = strings(peers[i].destinations)
            seen.otherNamespaceSources = strings(peers[i].otherNamespaceSources)
            seen.otherNamespaceDestinations = strings(peers[i].otherNamespaceDestinations)
            out.endpoints[key] = seen
        }
        for (i, cell) in matrixKeys.enumerated() {
            out.matrix[groups.values[cell >> 32], default: [:]][groups.values[cell & 0xFFFF_FFFF]] = matrixCells[i]
        }
        out.timeline = timeline
        out.bucketNanoseconds = bucketNanoseconds
        let rows = deniedKeys.indices.map { i in
            DeniedFlowGroup(source: names.values[deniedKeys[i].source], destination: names.values[deniedKeys[i].destination],
                            ipProtocol: "\(deniedKeys[i].ipProtocol)", destinationPort: deniedKeys[i].port,
                            flows: deniedCounts[i].flows, packets: deniedCounts[i].packets)
        }
        out.topDenied = rows.sorted {
            ($0.flows, $1.source, $1.destination, $1.destinationPort) > ($1.flows, $0.source, $0.destination, $0.destinationPort)
        }.prefix(Self.topDeniedRows).map { $0 }
        return out
    }

    private static func insert(_ name: Int, into set: inout Set<Int>) {
        if set.count < maximumPeersListed { set.insert(name) }
    }

    private mutating func matrixCell(source: Int, destination: Int) -> Int {
        let key = source << 32 | destination
        if let known = matrixIndex[key] { return known }
        matrixIndex[key] = matrixKeys.count
        matrixKeys.append(key)
        matrixCells.append(MatrixCell())
        return matrixKeys.count - 1
    }

    /// The number of `identity`'s side in `sideTable`: by its box within a block, by its
    /// strings the first time the box is met.
    private mutating func sideNumber(_ identity: EndpointIdentity) -> Int {
        if let known = blockIdentities[identity.storageIdentity] { return known }
        let key = identity.kind == .network
            ? SideKey(kind: .network, namespace: "", name: identity.aggregatedName)
            : SideKey(kind: identity.kind, namespace: identity.namespace, name: identity.name)
        let number: Int
        if let known = sideNumbers[key] {
            number = known
        } else {
            sideTable.append(side(identity))
            number = sideTable.count - 1
            sideNumbers[key] = number
        }
        blockIdentities[identity.storageIdentity] = number
        return number
    }

    private mutating func side(_ identity: EndpointIdentity) -> Side {
        switch identity.kind {
        case .workload:
            let e = endpointIndex[PodOrHost(kind: .workload, namespace: identity.namespace, name: identity.name)] ?? -1
            return Side(endpoint: e, isClusterEndpoint: true, group: groups.number(identity.namespace), isNamespaced: !identity.namespace.isEmpty,
                        name: names.number("Pod.v1(\(identity.namespace)/\(identity.name))"))
        case .host:
            let e = endpointIndex[PodOrHost(kind: .host, namespace: "-", name: identity.name)] ?? -1
            return Side(endpoint: e, isClusterEndpoint: true, group: groups.number(FlowEvidence.hostGroup), isNamespaced: false,
                        name: names.number("HostEndpoint(\(identity.name))"))
        case .networkSet:
            let name = identity.namespace == "-" ? "GlobalNetworkSet(\(identity.name))" : "NetworkSet(\(identity.namespace)/\(identity.name))"
            return Side(endpoint: -1, isClusterEndpoint: false, group: -1, isNamespaced: false, name: names.number(name))
        case .network:
            return Side(endpoint: -1, isClusterEndpoint: false, group: -1, isNamespaced: false, name: names.number("Network(\(identity.aggregatedName))"))
        }
    }
}
