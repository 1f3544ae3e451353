import CPrefetch
import FlowCore

/// A packet reduced to what the flow cache needs, its key's hash computed once.
struct KeyedPacket {
    var key: FlowKey
    var hash: UInt64
    var time: UInt64
    var wireLength: UInt32
    var fromA: Bool
    var tcpFlags: UInt8
    var icmpType: UInt8
    var icmpCode: UInt8

    init(_ packet: DecodedPacket, time: UInt64, wireLength: UInt32, seed: UInt64) {
        let (key, fromA) = FlowKey.canonical(packet)
        self.key = key
        hash = key.hashValue64(seed: seed)
        self.time = time
        self.wireLength = wireLength
        self.fromA = fromA
        tcpFlags = packet.tcpFlags
        icmpType = packet.icmpType
        icmpCode = packet.icmpCode
    }
}

/// Packets whose flow-cache lookups have been started and that are folded in a few packets
/// later, in arrival order.
///
/// With many concurrent flows (a live node holds every flow of the last minute) a lookup
/// misses the processor's caches twice in a row: the index slot, then the entry it points to,
/// each a trip to memory that the packet loop would otherwise sit out. Here the slot is
/// prefetched when a packet arrives, the entry (both of its cache lines) once the slot has
/// had half the queue's time to arrive, and the packet is folded in `depth` packets later, so
/// several packets' misses overlap. Only hints run early: every real lookup happens in
/// `update` in arrival order, so records, counters and expiry are exactly those of folding
/// each packet at once (`FlowCacheLookaheadTests` checks that on random traffic).
///
/// The queue is drained before anyone looks at the cache (the capture drains it after every
/// `pcap_dispatch` call), so nothing outside the capture loop sees a packet in flight.
struct FlowLookahead {
    /// Packets in flight; a power of two.
    static let depth = 8
    /// How many packets after its slot an entry is prefetched.
    static let entryStage = depth / 2

    private let packets: UnsafeMutablePointer<KeyedPacket>
    /// Position of the oldest packet.
    private var head = 0
    private(set) var count = 0

    /// Allocates the queue; `deallocate()` frees it.
    init() {
        packets = .allocate(capacity: Self.depth)
    }

    func deallocate() { packets.deallocate() }

    var isEmpty: Bool { count == 0 }

    /// The packet `back` places before the newest (0 is the newest).
    func hash(back: Int) -> UInt64 {
        packets[(head &+ count &- 1 &- back) & (Self.depth - 1)].hash
    }

    mutating func append(_ packet: KeyedPacket) {
        (packets + ((head &+ count) & (Self.depth - 1))).initialize(to: packet)
        count += 1
    }

    mutating func removeOldest() -> KeyedPacket {
        let packet = (packets + head).move()
        head = (head &+ 1) & (Self.depth - 1)
        count -= 1
        return packet
    }
}

extension FlowCache {
    /// Queues `packet` and starts fetching what its lookup will read; folds in the oldest
    /// queued packet when the queue is full. Records emitted go to `output` as with `update`.
    @inline(__always)
    mutating func update(_ packet: KeyedPacket, lookahead: inout FlowLookahead, into output: inout [FlowRecord]) {
        flowlog_prefetch_read(slots + (Int(truncatingIfNeeded: packet.hash) & slotMask))
        if lookahead.count == FlowLookahead.depth {
            update(lookahead.removeOldest(), into: &output)
        }
        lookahead.append(packet)
        if lookahead.count > FlowLookahead.entryStage {
            prefetchEntry(hash: lookahead.hash(back: FlowLookahead.entryStage))
        }
    }

    /// Folds in every queued packet, oldest first.
    mutating func drain(_ lookahead: inout FlowLookahead, into output: inout [FlowRecord]) {
        while !lookahead.isEmpty {
            update(lookahead.removeOldest(), into: &output)
        }
    }

    /// Prefetches the entry the key's home slot points to, if that slot's hash bits match (a
    /// probe past the home slot is rare at half load; a wrong guess costs one useless fetch).
    @inline(__always)
    func prefetchEntry(hash: UInt64) {
        let value = slots[Int(truncatingIfNeeded: hash) & slotMask]
        guard value != 0, value & ~FlowCache.indexMask == hash << 32 else { return }
        prefetchEntry(at: Int(truncatingIfNeeded: value & FlowCache.indexMask) - 1)
    }

    /// Prefetches both cache lines of an entry, to be written.
    @inline(__always)
    func prefetchEntry(at index: Int) {
        let entry = UnsafeRawPointer(entries + index)
        flowlog_prefetch_write(entry)
        flowlog_prefetch_write(entry + 64)
    }
}
