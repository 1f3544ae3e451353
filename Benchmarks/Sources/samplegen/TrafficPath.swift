import FlowCore

/// One kind of conversation the capture contains: who talks to whom, on which port, how the
/// packets look, and how often it happens relative to the others in its group.
struct TrafficPath {
    enum Peer: Hashable {
        case workload(Int)
        case external(ExternalGroup)
    }

    var client: Peer
    var server: Peer
    var port: UInt16
    var transport: IPProtocol
    var application: ApplicationProtocol
    var shape: FlowShape
    var weight: Double
}

/// The packet script of a connection.
enum FlowShape: UInt8 {
    /// Handshake, request/response exchanges, FIN (or RST) teardown.
    case tcpSession
    /// SYN and its retransmissions, never answered: what a policy drop looks like on the wire.
    case tcpUnanswered
    /// One DNS query and its answer.
    case dnsExchange
    /// UDP requests without a reply.
    case udpUnanswered
    /// ICMP echo requests each answered.
    case icmpEcho
    /// ICMP echo requests, none answered.
    case icmpUnanswered

    var isDenied: Bool { self == .tcpUnanswered || self == .udpUnanswered || self == .icmpUnanswered }
}

/// Workload-level key of an allowed path, to tell allowed from denied combinations.
struct PathKey: Hashable {
    var client: Int
    var server: Int
    var port: UInt16
}
