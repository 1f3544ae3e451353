/// One bidirectional flow as the flow cache hands it on: who talked to whom, when, how much.
///
/// A plain trivially-copyable value (no references), so batches of it move through the ring
/// without reference counting. "Out" is source → destination, "in" is destination → source; the
/// source is the initiator (the first packet's sender, or the SYN sender when the SYN was seen).
public struct FlowRecord: Hashable, Sendable {
    public var sourceAddress: IPAddress
    public var destinationAddress: IPAddress
    /// Transport ports; for ICMP/ICMPv6 echo both carry the echo identifier, otherwise 0.
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var ipProtocol: IPProtocol
    /// Outer VLAN id (802.1ad S-tag or the only 802.1Q tag); `FlowRecord.noVLAN` when untagged.
    public var vlan: UInt16
    /// Inner VLAN id of a QinQ stack; `FlowRecord.noVLAN` when absent.
    public var innerVLAN: UInt16
    /// ICMP type/code of the flow's first ICMP packet (0 for other protocols).
    public var icmpType: UInt8
    public var icmpCode: UInt8

    public var start: Timestamp
    public var end: Timestamp

    public var packetsOut: UInt64
    public var bytesOut: UInt64
    public var packetsIn: UInt64
    public var bytesIn: UInt64
    /// Union of TCP flags seen source → destination and destination → source.
    public var tcpFlagsOut: TCPFlags
    public var tcpFlagsIn: TCPFlags

    public var status: FlowStatus

    public static let noVLAN: UInt16 = 0xFFFF

    public init(
        sourceAddress: IPAddress, destinationAddress: IPAddress,
        sourcePort: UInt16 = 0, destinationPort: UInt16 = 0,
        ipProtocol: IPProtocol, vlan: UInt16 = FlowRecord.noVLAN, innerVLAN: UInt16 = FlowRecord.noVLAN,
        icmpType: UInt8 = 0, icmpCode: UInt8 = 0,
        start: Timestamp, end: Timestamp,
        packetsOut: UInt64 = 0, bytesOut: UInt64 = 0, packetsIn: UInt64 = 0, bytesIn: UInt64 = 0,
        tcpFlagsOut: TCPFlags = [], tcpFlagsIn: TCPFlags = [],
        status: FlowStatus = []
    ) {
        self.sourceAddress = sourceAddress
        self.destinationAddress = destinationAddress
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.ipProtocol = ipProtocol
        self.vlan = vlan
        self.innerVLAN = innerVLAN
        self.icmpType = icmpType
        self.icmpCode = icmpCode
        self.start = start
        self.end = end
        self.packetsOut = packetsOut
        self.bytesOut = bytesOut
        self.packetsIn = packetsIn
        self.bytesIn = bytesIn
        self.tcpFlagsOut = tcpFlagsOut
        self.tcpFlagsIn = tcpFlagsIn
        self.status = status
    }

    public var ipVersion: IPVersion { sourceAddress.version }
    public var packets: UInt64 { packetsOut &+ packetsIn }
    public var bytes: UInt64 { bytesOut &+ bytesIn }
}

/// What the flow cache observed about a flow's life, and why the record was emitted.
public struct FlowStatus: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The flow's beginning was seen (a TCP SYN, or the record is the first of a non-TCP flow).
    public static let startObserved = FlowStatus(rawValue: 1 << 0)
    /// The flow's end was seen (TCP FIN in both directions, or RST).
    public static let endObserved = FlowStatus(rawValue: 1 << 1)
    /// This record continues a flow whose earlier interval was already emitted (active timeout).
    public static let continuation = FlowStatus(rawValue: 1 << 2)

    // Why the record was emitted; exactly one of these is set.
    public static let expiredIdle = FlowStatus(rawValue: 1 << 8)
    public static let expiredActive = FlowStatus(rawValue: 1 << 9)
    public static let expiredTeardown = FlowStatus(rawValue: 1 << 10)
    public static let evicted = FlowStatus(rawValue: 1 << 11)
    public static let flushed = FlowStatus(rawValue: 1 << 12)
}
