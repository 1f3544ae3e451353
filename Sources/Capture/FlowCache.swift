import FlowCore

/// The bidirectional flow table: packets in, finished `FlowRecord`s out.
///
/// Storage is one block of entries (reused through a free list) and an open-addressing index
/// of 64-bit slots (linear probing, at most half full, backward-shift deletion). Each slot
/// holds the upper half of the key's hash beside the entry index, so most probes never touch
/// an entry. Idle and teardown deadlines live in a timing wheel of 256 buckets, each 1/128 of
/// the longest of the two timeouts wide, each an array of entry indices (`WheelBuckets`); a
/// packet only moves its flow's `end`, and the wheel reschedules a flow lazily when it reaches
/// the flow's old bucket, so the per-packet cost touches no other flow's memory. Deadlines are
/// honoured to within one bucket width. A list of all flows by interval start drives the
/// active timeout.
/// Nothing allocates per packet; the entry block is reserved for the whole capacity and the
/// index grows by doubling.
///
/// Time is the packets' own: the cache's clock is the latest packet time seen (or a later
/// time given to `expire(now:into:)`), so a replay expires flows as a live capture would have.
public struct FlowCache {
    public let configuration: FlowCacheConfiguration
    public internal(set) var statistics = FlowCacheStatistics()

    var storage: FlowTableStorage
    var slotMask: Int
    var freeHead: Int32 = -1
    /// Flows currently held.
    public internal(set) var count = 0
    var byAge = EntryList()
    /// Idle/teardown deadline buckets; bucket `t & 255` holds deadlines in tick `t`.
    var wheel: WheelBuckets { storage.wheel }
    /// Width of a bucket in nanoseconds.
    let tickNanoseconds: UInt64
    /// Every bucket up to and including this tick has been processed.
    var wheelTick: UInt64 = 0
    /// Start of the first unprocessed tick: nothing is due before it.
    var nextTickTime: UInt64 = 0
    static let wheelSize = 256
    /// Latest time seen (ns).
    var clock: UInt64 = 0

    /// A slot holds the low 32 bits of the key's hash (its home position and a filter) in
    /// its upper half and the entry index + 1 in its lower half; 0 is empty.
    static let indexMask: UInt64 = 0x0000_0000_FFFF_FFFF

    /// Where the keys' hash starts (`FlowKey.hashValue64(seed:)`), drawn for each cache from
    /// the system's random source; copies keep it, since they keep the slots.
    ///
    /// Every word the hash mixes comes off the wire, and the index probes linearly: with a
    /// fixed hash, anyone who reads this source could compute thousands of 5-tuples that share
    /// a slot, and every packet of those flows would walk the whole run on the capture thread
    /// until the agent fell behind and dropped. With a secret start, the slots a set of keys
    /// shares depend on it, so a colliding set computed for one seed scatters under another.
    /// Nothing flowlog writes depends on where a key lands, only on the entries' times, so
    /// stores stay the same from run to run. A stored property rather than a global: read per
    /// packet, a lazily initialised global would cost a runtime call each time.
    let hashSeed: UInt64

    public init(configuration: FlowCacheConfiguration = FlowCacheConfiguration()) {
        self.configuration = configuration
        var random = SystemRandomNumberGenerator()
        hashSeed = random.next()
        let initial = 1 << 12
        storage = FlowTableStorage(reservedEntries: configuration.capacity, slotCount: initial)
        slotMask = initial - 1
        let longest = max(configuration.idleTimeoutNanoseconds, configuration.teardownLingerNanoseconds)
        tickNanoseconds = max(1, longest / UInt64(FlowCache.wheelSize / 2))
    }

    /// Bytes the cache holds per concurrent flow: one entry plus two to four index slots.
    public static var bytesPerFlow: (entry: Int, indexMinimum: Int, indexMaximum: Int) {
        (MemoryLayout<FlowEntry>.stride, 2 * MemoryLayout<UInt64>.stride, 4 * MemoryLayout<UInt64>.stride)
    }

    var entries: UnsafeMutablePointer<FlowEntry> { storage.entries }
    var slots: UnsafeMutablePointer<UInt64> { storage.slots }

    /// Copy on write: a copied cache gets its own storage before either copy changes.
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// The latest time the cache has seen.
    public var now: Timestamp { Timestamp(nanoseconds: clock) }

    // MARK: - Index

    /// The entry holding `key`, or nil.
    func find(_ key: FlowKey, hash: UInt64) -> Int? {
        let slots = self.slots, entries = self.entries
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        let tag = hash << 32
        while true {
            let value = slots[slot]
            if value == 0 { return nil }
            if value & ~FlowCache.indexMask == tag {
                let index = Int(truncatingIfNeeded: value & FlowCache.indexMask) - 1
                if entries[index].key == key { return index }
            }
            slot = (slot + 1) & slotMask
        }
    }

    mutating func insertIndex(_ index: Int, hash: UInt64) {
        let slots = self.slots
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        while slots[slot] != 0 { slot = (slot + 1) & slotMask }
        slots[slot] = hash << 32 | UInt64(index + 1)
    }

    mutating func removeIndex(_ index: Int, hash: UInt64) {
        let slots = self.slots
        let wanted = hash << 32 | UInt64(index + 1)
        var hole = Int(truncatingIfNeeded: hash) & slotMask
        while slots[hole] != wanted { hole = (hole + 1) & slotMask }
        // Backward shift: pull later members of the probe run into the hole when their home
        // slot does not lie between the hole and their current slot.
        var probe = hole
        while true {
            probe = (probe + 1) & slotMask
            let value = slots[probe]
            if value == 0 { break }
            let home = Int(truncatingIfNeeded: value >> 32) & slotMask
            if (probe &- home) & slotMask >= (probe &- hole) & slotMask {
                slots[hole] = value
                hole = probe
            }
        }
        slots[hole] = 0
    }


    mutating func growIndex() {
        let (old, oldCount, oldMemory) = storage.replaceSlots(count: storage.slotCount * 2)
        slotMask = storage.slotCount - 1
        let slots = self.slots
        for i in 0..<oldCount where old[i] != 0 {
            var slot = Int(truncatingIfNeeded: old[i] >> 32) & slotMask
            while slots[slot] != 0 { slot = (slot + 1) & slotMask }
            slots[slot] = old[i]
        }
        oldMemory.unmap()
    }

    // MARK: - Entries

    mutating func allocate(_ entry: FlowEntry) -> Int {
        if freeHead >= 0 {
            let index = Int(freeHead)
            freeHead = entries[index].nextFree
            entries[index] = entry
            return index
        }
        if storage.entryCount == storage.entryCapacity { storage.growEntries() }
        let index = storage.entryCount
        (entries + index).initialize(to: entry)
        storage.entryCount += 1
        return index
    }

    /// Takes an entry out of the index and its lists and returns it to the free list.
    mutating func remove(_ index: Int) {
        removeIndex(index, hash: entries[index].key.hashValue64(seed: hashSeed))
        unschedule(index)
        unlinkByAge(index)
        entries[index].nextFree = freeHead
        freeHead = Int32(index)
        count -= 1
    }

    // MARK: - Lists

    mutating func appendByAge(_ index: Int) {
        let i = Int32(index)
        entries[index].olderByAge = byAge.tail
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
