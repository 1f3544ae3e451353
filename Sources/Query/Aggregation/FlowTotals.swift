import FlowCore

/// What a group (or the top-N ordering) counts.
public enum GroupOrder: String, CaseIterable, Sendable {
    case flows, packets, bytes
}

/// Sums over a set of flows.
public struct FlowTotals: Hashable, Sendable {
    public var flows: UInt64 = 0
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0

    public init(flows: UInt64 = 0, packets: UInt64 = 0, bytes: UInt64 = 0) {
        self.flows = flows
        self.packets = packets
        self.bytes = bytes
    }

    mutating func add(_ flow: FlowRecord) {
        flows &+= 1
        packets &+= flow.packets
        bytes &+= flow.bytes
    }

    mutating func add(_ other: FlowTotals) {
        flows &+= other.flows
        packets &+= other.packets
        bytes &+= other.bytes
    }

    /// Adds `flows` records whose counters `summed` carries in total.
    mutating func add(_ summed: FlowRecord, flows count: UInt64) {
        flows &+= count
        packets &+= summed.packets
        bytes &+= summed.bytes
    }

    public func value(_ order: GroupOrder) -> UInt64 {
        switch order {
        case .flows: return flows
        case .packets: return packets
        case .bytes: return bytes
        }
    }
}
