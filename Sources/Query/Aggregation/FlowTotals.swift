import FlowCore

/// Sums over a set of flows.
public struct FlowTotals: Hashable, Sendable {
    public var flows: UInt64 = 0
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    /// The earliest and latest flow start seen, for `--order time` and `newest` (rows only:
    /// conversation sums do not carry them).
    public var firstStart = Timestamp(nanoseconds: .max)
    public var lastStart = Timestamp.zero

    public init(flows: UInt64 = 0, packets: UInt64 = 0, bytes: UInt64 = 0) {
        self.flows = flows
        self.packets = packets
        self.bytes = bytes
    }

    mutating func add(_ flow: FlowRecord) {
        flows &+= 1
        packets &+= flow.packets
        bytes &+= flow.bytes
        if flow.start < firstStart { firstStart = flow.start }
        if flow.start > lastStart { lastStart = flow.start }
    }

    mutating func add(_ other: FlowTotals) {
        flows &+= other.flows
        packets &+= other.packets
        bytes &+= other.bytes
        if other.firstStart < firstStart { firstStart = other.firstStart }
        if other.lastStart > lastStart { lastStart = other.lastStart }
    }

    /// Adds `flows` records whose counters `summed` carries in total.
    mutating func add(_ summed: FlowRecord, flows count: UInt64) {
        flows &+= count
        packets &+= summed.packets
        bytes &+= summed.bytes
    }

    /// Where the group sorts in `order`: smaller first.
    func sortKey(_ order: ResultOrder) -> UInt64 {
        switch order {
        case .flows, .stored: return ~flows
        case .packets: return ~packets
        case .bytes: return ~bytes
        case .time: return firstStart.nanoseconds
        case .newest: return ~lastStart.nanoseconds
        }
    }

    /// Equal when the sums are: the start times are an ordering aid that column-wise sums lack.
    public static func == (l: FlowTotals, r: FlowTotals) -> Bool {
        l.flows == r.flows && l.packets == r.packets && l.bytes == r.bytes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(flows)
        hasher.combine(packets)
        hasher.combine(bytes)
    }
}
