/// What the decoder extracts from one frame: the flow key's parts in the packet's own
/// direction, plus the few per-packet facts the flow cache records. A plain value reused for
/// every packet.

struct DecodedPacket {
    var sourceHigh: UInt64 = 0
    var sourceLow: UInt64 = 0
    var destinationHigh: UInt64 = 0
    var destinationLow: UInt64 = 0
    var sourcePort: UInt16 = 0
    var destinationPort: UInt16 = 0
    /// `FlowRecord.noVLAN` when untagged.
    var vlan: UInt16 = 0xFFFF
    var innerVLAN: UInt16 = 0xFFFF
    /// 4 or 6.
    var ipVersion: UInt8 = 0
    /// The transport protocol after any IPv6 extension headers.
    var ipProtocol: UInt8 = 0
    var tcpFlags: UInt8 = 0
    var icmpType: UInt8 = 0
    var icmpCode: UInt8 = 0
    /// A fragment other than the first: it carries no transport header, so no ports.
    var isLaterFragment = false
    /// The first fragment of a fragmented packet (offset 0, more fragments follow).
    var isFirstFragment = false
    /// The IPv4 identification or IPv6 fragment-header identification of a fragment.
    var fragmentID: UInt32 = 0
    /// The UDP or TCP payload's bounds in the frame (equal when there is none), for the DNS
    /// observer; `payloadCut` when the capture kept less than the transport header announced.
    var payloadStart = 0
    var payloadEnd = 0
    var payloadCut = false

    init() {}

    mutating func reset() {
        sourcePort = 0
        destinationPort = 0
        vlan = 0xFFFF
        innerVLAN = 0xFFFF
        tcpFlags = 0
        icmpType = 0
        icmpCode = 0
        isLaterFragment = false
        isFirstFragment = false
        payloadStart = 0
        payloadEnd = 0
        payloadCut = false
    }
}

/// The result of decoding one frame.

enum DecodeOutcome: Equatable {
    /// An IP packet; the `DecodedPacket` is filled in.
    case ip
    /// A frame that carries no IP packet (ARP, LLDP, STP, an MPLS pseudowire, …).
    case nonIP
    case malformed(MalformedReason)
}
