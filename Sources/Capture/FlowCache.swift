import FlowCore

/// The bidirectional flow table: packets in, finished `FlowRecord`s out.
///
/// Storage is one array of entries (reused through a free list) and an open-addressing index
/// of 64-bit slots (linear probing, at most half full, backward-shift deletion). Each slot
/// holds the upper half of the key's hash beside the entry index, so most probes never touch
/// an entry. Idle and teardown deadlines live in a timing wheel of 256 buckets, each 1/128 of
/// the longest of the two timeouts wide; a packet only moves its flow's `end`, and the wheel
/// reschedules a flow lazily when it reaches the flow's old bucket, so the per-packet cost has
/// no list surgery (which would touch two unrelated flows' memory). Deadlines are honoured to
/// within one bucket width. A list of all flows by interval start drives the active timeout.
/// Nothing allocates per packet; the arrays grow by doubling.
///
/// Time is the packets' own: the cache's clock is the latest packet time seen (or a later
/// time given to `expire(now:into:)`), so a replay expires flows as a live capture would have.
public struct FlowCache {
    public let configuration: FlowCacheConfiguration
    public internal(set) var statistics = FlowCacheStatistics()

    var slots: [UInt64]
    var slotMask: Int
    var entries: [FlowEntry] = []
    var freeHead: Int32 = -1
    /// Flows currently held.
    public internal(set) var count = 0
    var byAge = EntryList()
    /// Idle/teardown deadline buckets; bucket `t & 255` holds deadlines in tick `t`.
    var wheel: [EntryList] = Array(repeating: EntryList(), count: FlowCache.wheelSize)
    /// Scratch for catching up over a long gap, allocated once.
    var wheelScratch: [EntryList] = Array(repeating: EntryList(), count: FlowCache.wheelSize)
    /// Width of a bucket in nanoseconds.
    let tickNanoseconds: UInt64
    /// Every bucket up to and including this tick has been processed.
    var wheelTick: UInt64 = 0
    /// Start of the first unprocessed tick: nothing is due before it.
    var nextTickTime: UInt64 = 0
    static let wheelSize = 256
    /// Latest time seen (ns).
    var clock: UInt64 = 0

    static let tagMask: UInt64 = 0xFFFF_FFFF_0000_0000
    static let indexMask: UInt64 = 0x0000_0000_FFFF_FFFF

    public init(configuration: FlowCacheConfiguration = FlowCacheConfiguration()) {
        self.configuration = configuration
        let initial = 1 << 12
        slots = Array(repeating: 0, count: initial)
        slotMask = initial - 1
        let longest = max(configuration.idleTimeoutNanoseconds, configuration.teardownLingerNanoseconds)
        tickNanoseconds = max(1, longest / UInt64(FlowCache.wheelSize / 2))
    }

    /// Bytes the cache holds per concurrent flow: one entry plus two to four index slots.
    public static var bytesPerFlow: (entry: Int, indexMinimum: Int, indexMaximum: Int) {
        (MemoryLayout<FlowEntry>.stride, 2 * MemoryLayout<UInt64>.stride, 4 * MemoryLayout<UInt64>.stride)
    }

    /// The latest time the cache has seen.
    public var now: Timestamp { Timestamp(nanoseconds: clock) }

    // MARK: - Index

    /// The entry holding `key`, or nil.
    
    func find(_ key: FlowKey, hash: UInt64) -> Int? {
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        let tag = hash & FlowCache.tagMask
        while true {
            let value = slots[slot]
            if value == 0 { return nil }
            if value & FlowCache.tagMask == tag {
                let index = Int(truncatingIfNeeded: value & FlowCache.indexMask) - 1
                if entries[index].key == key { return index }
            }
            slot = (slot + 1) & slotMask
        }
    }

    
    mutating func insertIndex(_ index: Int, hash: UInt64) {
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        while slots[slot] != 0 { slot = (slot + 1) & slotMask }
        slots[slot] = hash & FlowCache.tagMask | UInt64(index + 1)
    }

    
    mutating func removeIndex(_ index: Int) {
        let hash = entries[index].hash
        let wanted = hash & FlowCache.tagMask | UInt64(index + 1)
        var hole = Int(truncatingIfNeeded: hash) & slotMask
        while slots[hole] != wanted { hole = (hole + 1) & slotMask }
        // Backward shift: pull later members of the probe run into the hole when their home
        // slot does not lie between the hole and their current slot.
        var probe = hole
        while true {
            probe = (probe + 1) & slotMask
            let value = slots[probe]
            if value == 0 { break }
            let other = Int(truncatingIfNeeded: value & FlowCache.indexMask) - 1
            let home = Int(truncatingIfNeeded: entries[other].hash) & slotMask
            if (probe &- home) & slotMask >= (probe &- hole) & slotMask {
                slots[hole] = value
                hole = probe
            }
        }
        slots[hole] = 0
    }


    mutating func growIndex() {
        let size = slots.count * 2
        slots = Array(repeating: 0, count: size)
        slotMask = size - 1
        var index = byAge.head
        while index >= 0 {
            insertIndex(Int(index), hash: entries[Int(index)].hash)
            index = entries[Int(index)].youngerByAge
        }
    }

    // MARK: - Entries

    
    mutating func allocate(_ entry: FlowEntry) -> Int {
        if freeHead >= 0 {
            let index = Int(freeHead)
            let next = entries[index].next
            freeHead = next
            entries[index] = entry
            return index
        }
        entries.append(entry)
        return entries.count - 1
    }

    /// Takes an entry out of the index and its lists and returns it to the free list.
    
    mutating func remove(_ index: Int) {
        removeIndex(index)
        unschedule(index)
        unlinkByAge(index)
        let free = freeHead
        entries[index].next = free
        freeHead = Int32(index)
        count -= 1
    }

    // MARK: - Lists

    
    mutating func appendByAge(_ index: Int) {
        let i = Int32(index)
        let tail = byAge.tail
        entries[index].olderByAge = tail
        entries[index].youngerByAge = -1
        if byAge.tail >= 0 { entries[Int(byAge.tail)].youngerByAge = i } else { byAge.head = i }
        byAge.tail = i
    }

    
    mutating func unlinkByAge(_ index: Int) {
        let older = entries[index].olderByAge, younger = entries[index].youngerByAge
        if older >= 0 { entries[Int(older)].youngerByAge = younger } else { byAge.head = younger }
        if younger >= 0 { entries[Int(younger)].olderByAge = older } else { byAge.tail = older }
    }
}

/// What the flow cache did, for summaries and metrics.
public struct FlowCacheStatistics: Hashable, Sendable {
    /// Flows created (a flow continued after an active timeout counts once).
    public var flowsCreated: UInt64 = 0
    /// Records emitted, by cause.
    public var expiredIdle: UInt64 = 0
    public var expiredActive: UInt64 = 0
    public var expiredTeardown: UInt64 = 0
    public var evicted: UInt64 = 0
    public var flushed: UInt64 = 0
    /// Most flows held at once.
    public var peakFlows: Int = 0

    public init() {}

    public var recordsEmitted: UInt64 { expiredIdle &+ expiredActive &+ expiredTeardown &+ evicted &+ flushed }
}
