import FlowCore

/// What the flow store shows for one in-scope endpoint over the interval.
public struct EndpointObservation: Sendable, Hashable {
    public var allowedFlows: UInt64 = 0
    /// Allowed flows from / to an address outside the private ranges that is no cluster endpoint.
    public var allowedFromInternet: UInt64 = 0
    public var allowedToInternet: UInt64 = 0
    /// Denied flows where this endpoint was the destination / the source.
    public var deniedIngress: UInt64 = 0
    public var deniedEgress: UInt64 = 0
    /// Calico names of pods of other namespaces seen in allowed flows to / from this endpoint.
    public var otherNamespaceSources: Set<String> = []
    public var otherNamespaceDestinations: Set<String> = []
    /// Every peer seen in allowed flows (Calico's endpointsGenerating/ReceivingTraffic columns).
    public var sources: Set<String> = []
    public var destinations: Set<String> = []

    public init() {}

    public var deniedFlows: UInt64 { deniedIngress &+ deniedEgress }
}

/// One cell of the namespace × namespace matrix.
public struct MatrixCell: Sendable, Hashable {
    public var allowed: UInt64 = 0
    public var denied: UInt64 = 0
}

/// One row of the top denied flows: a source, a destination and what it tried.
public struct DeniedFlowGroup: Sendable, Hashable {
    public let source: String
    public let destination: String
    public let ipProtocol: String
    public let destinationPort: UInt16
    public var flows: UInt64
    public var packets: UInt64
}

/// Observed evidence for the report interval: per endpoint, and the whole-scope views the
/// HTML report draws.
public struct FlowEvidence: Sendable {
    public var endpoints: [EndpointKey: EndpointObservation] = [:]
    /// Source group → destination group; groups are namespaces, `(internet)`, `(private)` and `(hosts)`.
    public var matrix: [String: [String: MatrixCell]] = [:]
    /// Allowed and denied flows per equal slice of the interval, by flow start.
    public var timeline: [MatrixCell] = []
    public var bucketNanoseconds: UInt64 = 0
    public var topDenied: [DeniedFlowGroup] = []
    /// Flows touching at least one in-scope endpoint.
    public var flowsInScope: UInt64 = 0
    public var flowsAllowed: UInt64 = 0
    public var flowsDenied: UInt64 = 0
    public var flowsScanned: UInt64 = 0
    /// Blocks the store could not read (damaged), as the scan reported them.
    public var unreadableBlocks = 0

    public init() {}

    public static let internetGroup = "(internet)"
    public static let privateGroup = "(private)"
    public static let hostGroup = "(hosts)"
}
