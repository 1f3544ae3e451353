import FlowCore

/// The state of one connection in progress: addresses, sequence numbers, where its script
/// stands, and when its next packet is due. Plain stored values so that a slab of them is one
/// contiguous allocation for the whole run.
struct ActiveFlow {
    enum Phase: UInt8 {
        case syn, synAck, handshakeAck, request, response, clientAck, fin, finAck, lastAck, reset, done
    }

    var shape: FlowShape = .tcpSession
    var application: ApplicationProtocol = .http
    var phase: Phase = .syn
    var clientIsLocal = true
    var client = IPAddress(ipv4: 0)
    var server = IPAddress(ipv4: 0)
    /// MAC of the pod whose interface the capture sees (client pod, else server pod).
    var localMAC: UInt64 = 0
    var clientPort: UInt16 = 0
    var serverPort: UInt16 = 0
    /// TTL of packets arriving at the local pod from the remote side.
    var remoteTTL: UInt8 = 63
    var clientSequence: UInt32 = 0
    var serverSequence: UInt32 = 0
    var clientIdentification: UInt16 = 0
    var serverIdentification: UInt16 = 0
    /// Round-trip time seen from the capture point, seconds.
    var roundTrip = 0.0
    /// When the next packet is due, seconds after the capture's start.
    var due = 0.0
    /// Data-phase packets (requests, responses, pure ACKs) still to send.
    var dataLeft: Int32 = 0
    /// Segments of the current response still to send, and sent since the client last ACKed.
    var segmentsLeft: Int32 = 0
    var segmentsSinceAck: Int32 = 0
    /// Payload of the current response's last segment (decided with the request, so that an
    /// HTTP header can state the body's length).
    var responseLast: Int32 = 0
    /// Whether the current response has sent its first segment (the one with the protocol header).
    var responseBegun = false
    /// Request/response exchanges so far (SYN attempts, for unanswered connections).
    var exchanges: Int32 = 0
    /// Packets left for the non-session shapes (SYN retries, echo pairs, DNS).
    var packetsLeft: Int32 = 0
    var closeWithReset = false
    var bulk = false
    /// DNS: which name is asked for, the query id. ICMP: the echo identifier.
    var dnsName: Int32 = 0
    var identifier: UInt16 = 0
    var echoSequence: UInt16 = 0

    var isIPv6: Bool { client.version == .v6 }
    var maximumSegment: Int { isIPv6 ? 1440 : 1460 }
}
