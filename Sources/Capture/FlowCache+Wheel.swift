import CPrefetch
import FlowCore

/// The timing wheel for idle and teardown deadlines.
extension FlowCache {
    /// When the entry is due: its last packet plus the idle timeout, or the linger once closing.
    func deadline(_ index: Int) -> UInt64 {
        entries[index].end &+ (entries[index].closing ? configuration.teardownLingerNanoseconds : configuration.idleTimeoutNanoseconds)
    }

    /// Puts the entry at the end of the bucket of its current deadline (never a processed one).
    mutating func schedule(_ index: Int) {
        entries[index].touched = false
        var tick = deadline(index) / tickNanoseconds
        if tick <= wheelTick { tick = wheelTick &+ 1 }
        let slot = Int(truncatingIfNeeded: tick) & (FlowCache.wheelSize - 1)
        entries[index].wheelSlot = UInt8(truncatingIfNeeded: slot)
        entries[index].wheelPosition = wheel.append(Int32(truncatingIfNeeded: index), to: slot)
    }

    mutating func unschedule(_ index: Int) {
        wheel.vacate(Int(entries[index].wheelSlot), at: entries[index].wheelPosition)
    }

    /// Processes every bucket whose tick has begun by `now`: due entries are emitted (idle or
    /// teardown), entries that saw packets since they were scheduled move to their new bucket.
    mutating func advanceWheel(to now: UInt64, into output: inout [FlowRecord]) {
        let target = now / tickNanoseconds
        guard target > wheelTick else { return }
        if target &- wheelTick >= UInt64(FlowCache.wheelSize / 2) {
            // A long gap (or the first packet): every bucket is due at once. Detach them all
            // first, so rescheduled entries land relative to the new position.
            for slot in 0..<FlowCache.wheelSize { wheel.beginDrain(slot) }
            wheelTick = target
            for slot in 0..<FlowCache.wheelSize {
                drain(wheel.draining(slot), now: now, into: &output)
                wheel.endDrain(slot)
            }
        } else {
            while wheelTick < target {
                wheelTick &+= 1
                let slot = Int(truncatingIfNeeded: wheelTick) & (FlowCache.wheelSize - 1)
                wheel.beginDrain(slot)
                drain(wheel.draining(slot), now: now, into: &output)
                wheel.endDrain(slot)
            }
        }
        nextTickTime = (wheelTick &+ 1) &* tickNanoseconds
    }

    /// How many elements ahead a drain starts fetching an entry; its index slot and its
    /// neighbours in the age list are fetched half as far ahead, once the entry has arrived.
    static let drainLookahead = 8

    /// Walks a detached bucket's elements in order.
    mutating func drain(_ bucket: UnsafeBufferPointer<Int32>, now: UInt64, into output: inout [FlowRecord]) {
        let count = bucket.count
        let ahead = FlowCache.drainLookahead, halfway = FlowCache.drainLookahead / 2
        // A bucket's entries lie anywhere in the table: start fetching each several elements
        // before it is reached, so that their misses overlap instead of coming one by one.
        for position in 0..<min(ahead, count) where bucket[position] >= 0 { prefetchEntry(at: Int(bucket[position])) }
        for position in 0..<count {
            if position &+ ahead < count, bucket[position &+ ahead] >= 0 { prefetchEntry(at: Int(bucket[position &+ ahead])) }
            if position &+ halfway < count, bucket[position &+ halfway] >= 0 {
                prefetchRemoval(Int(bucket[position &+ halfway]), now: now)
            }
            let element = bucket[position]
            guard element >= 0 else { continue }
            let index = Int(element)
            if deadline(index) <= now {
                // Already out of any bucket: only the index and age list remain.
                let hash = entries[index].key.hashValue64(seed: hashSeed)
                emit(index, reason: entries[index].closing ? .expiredTeardown : .expiredIdle, into: &output)
                removeDetached(index, hash: hash)
            } else {
                schedule(index)
            }
        }
    }

    /// For an entry that is due at `now` (and already fetched): starts fetching what taking it
    /// out will write, its index slot and its neighbours' age-list links (second line).
    @inline(__always)
    func prefetchRemoval(_ index: Int, now: UInt64) {
        guard deadline(index) <= now else { return }
        let hash = entries[index].key.hashValue64(seed: hashSeed)
        flowlog_prefetch_write(slots + (Int(truncatingIfNeeded: hash) & slotMask))
        let older = entries[index].olderByAge, younger = entries[index].youngerByAge
        if older >= 0 { flowlog_prefetch_write(UnsafeRawPointer(entries + Int(older)) + 64) }
        if younger >= 0 { flowlog_prefetch_write(UnsafeRawPointer(entries + Int(younger)) + 64) }
    }

    /// `remove(_:)` for an entry that is no longer linked in a bucket.
    mutating func removeDetached(_ index: Int, hash: UInt64) {
        removeIndex(index, hash: hash)
        unlinkByAge(index)
        entries[index].nextFree = freeHead
        freeHead = Int32(index)
        count -= 1
    }

    /// The flow with the earliest deadline, i.e. the least recently active (closing flows,
    /// whose deadline is only the short linger, come first). Entries that saw packets since
    /// they were scheduled are moved on to their true bucket while looking.
    mutating func leastRecentlyActive() -> Int? {
        guard count > 0 else { return nil }
        var tick = wheelTick &+ 1
        var scanned = 0
        while scanned < FlowCache.wheelSize {
            let slot = Int(truncatingIfNeeded: tick) & (FlowCache.wheelSize - 1)
            var position = 0
            while position < wheel.count(slot) {
                let element = wheel.element(slot, at: position)
                guard element >= 0 else {
                    position += 1
                    continue
                }
                let index = Int(element)
                if !entries[index].touched { return index }
                // Where the walk goes on is settled before the entry moves: an entry moved to
                // the end of the bucket it was the last of (its deadline still in the same
                // tick) is left for the next turn, while one with others behind it is met
                // again after them (the order the eviction has always taken).
                var following = position + 1
                while following < wheel.count(slot) && wheel.element(slot, at: following) < 0 { following += 1 }
                let wasLast = following == wheel.count(slot)
                unschedule(index)
                schedule(index)
                if wasLast { break }
                position = following
            }
            scanned += 1
            tick &+= 1
        }
        // Every entry was rescheduled once during the scan; the next one found will do.
        for slot in 0..<FlowCache.wheelSize {
            for position in 0..<wheel.count(slot) where wheel.element(slot, at: position) >= 0 {
                return Int(wheel.element(slot, at: position))
            }
        }
        return nil
    }
}
