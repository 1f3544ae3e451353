/// One flow in the cache: its key, its counters for the current interval, and its links in
/// the cache's intrusive lists. Directions are A → B and B → A in key order; the initiator
/// flag maps them to "out" and "in" when the record is emitted.
///
/// Laid out in exactly 128 bytes (two cache lines, storage aligned to 128): the first line
/// holds what every packet reads (key, flags, state, end, A → B packets), the second the rest
/// of the counters and the list links. `FlowCacheTests` checks the size.
struct FlowEntry {
    var key: FlowKey                 // 42 bytes
    var flagsAB: UInt8 = 0
    var flagsBA: UInt8 = 0
    var initiatorIsA: Bool
    /// 0: no SYN seen; 1: only a SYN-ACK (the initiator is inferred); 2: the SYN itself.
    var synSeen: UInt8 = 0
    /// The flow's earlier interval was already emitted.
    var continuation = false
    /// FIN went both ways or an RST was seen; the entry's deadline is its teardown linger.
    var closing = false
    /// First and last packet of the current interval (ns since the epoch).
    var end: UInt64
    var packetsAB: UInt64 = 0
    // Second cache line.
    var bytesAB: UInt64 = 0
    var packetsBA: UInt64 = 0
    var bytesBA: UInt64 = 0
    var start: UInt64
    /// When the current active-timeout interval began.
    var intervalStart: UInt64
    /// Where the entry stands in its timing-wheel bucket's array (`WheelBuckets`).
    var wheelPosition: Int32 = -1
    /// The next entry of the free list, while the entry is free; -1 ends it.
    var nextFree: Int32 = -1
    /// Links in the age list (by interval start) that drives the active timeout.
    var olderByAge: Int32 = -1
    var youngerByAge: Int32 = -1
    var icmpType: UInt8 = 0
    var icmpCode: UInt8 = 0
    /// The wheel bucket holding the entry.
    var wheelSlot: UInt8 = 0
    /// Packets arrived since the entry was scheduled, so its real deadline is later than its
    /// bucket's; the wheel reschedules it lazily.
    var touched = false

    init(key: FlowKey, time: UInt64, initiatorIsA: Bool) {
        self.key = key
        self.start = time
        self.end = time
        self.intervalStart = time
        self.initiatorIsA = initiatorIsA
    }

    var packets: UInt64 { packetsAB &+ packetsBA }

    /// FIN seen in both directions, or RST in either.
    var tornDown: Bool {
        let all = flagsAB | flagsBA
        return all & 0x04 != 0 || (flagsAB & 0x01 != 0 && flagsBA & 0x01 != 0)
    }
}

/// Head and tail of an intrusive doubly linked list of entry indices.
struct EntryList {
    var head: Int32 = -1
    var tail: Int32 = -1
    init() {}
}
