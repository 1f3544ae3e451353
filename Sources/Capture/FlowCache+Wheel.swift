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
        var list = wheel[slot]
        let i = Int32(index)
        entries[index].previous = list.tail
        entries[index].next = -1
        if list.tail >= 0 { entries[Int(list.tail)].next = i } else { list.head = i }
        list.tail = i
        wheel[slot] = list
    }

    mutating func unschedule(_ index: Int) {
        let slot = Int(entries[index].wheelSlot)
        var list = wheel[slot]
        let previous = entries[index].previous, next = entries[index].next
        if previous >= 0 { entries[Int(previous)].next = next } else { list.head = next }
        if next >= 0 { entries[Int(next)].previous = previous } else { list.tail = previous }
        wheel[slot] = list
    }

    /// Processes every bucket whose tick has begun by `now`: due entries are emitted (idle or
    /// teardown), entries that saw packets since they were scheduled move to their new bucket.
    mutating func advanceWheel(to now: UInt64, into output: inout [FlowRecord]) {
        let target = now / tickNanoseconds
        guard target > wheelTick else { return }
        if target &- wheelTick >= UInt64(FlowCache.wheelSize / 2) {
            // A long gap (or the first packet): every bucket is due at once. Detach them all
            // first, so rescheduled entries land relative to the new position.
            for slot in 0..<FlowCache.wheelSize {
                wheelScratch[slot] = wheel[slot]
                wheel[slot] = EntryList()
            }
            wheelTick = target
            for slot in 0..<FlowCache.wheelSize {
                drain(wheelScratch[slot].head, now: now, into: &output)
            }
        } else {
            while wheelTick < target {
                wheelTick &+= 1
                let slot = Int(truncatingIfNeeded: wheelTick) & (FlowCache.wheelSize - 1)
                let head = wheel[slot].head
                wheel[slot] = EntryList()
                drain(head, now: now, into: &output)
            }
        }
        nextTickTime = (wheelTick &+ 1) &* tickNanoseconds
    }

    /// Walks a detached bucket list.
    mutating func drain(_ first: Int32, now: UInt64, into output: inout [FlowRecord]) {
        var cursor = first
        while cursor >= 0 {
            let index = Int(cursor)
            cursor = entries[index].next
            // A bucket's entries lie anywhere in the table: start fetching the next one while
            // this one is emitted and unlinked.
            if cursor >= 0 { prefetchEntry(at: Int(cursor)) }
            if deadline(index) <= now {
                // Its index slot lies anywhere in the table too, and is needed once the record is
                // out: start fetching it before the record is built.
                let hash = entries[index].key.hashValue64
                flowlog_prefetch_write(slots + (Int(truncatingIfNeeded: hash) & slotMask))
                // Already out of any bucket list: only the index and age list remain.
                emit(index, reason: entries[index].closing ? .expiredTeardown : .expiredIdle, into: &output)
                removeDetached(index, hash: hash)
            } else {
                schedule(index)
            }
        }
    }

    /// `remove(_:)` for an entry that is no longer linked in a bucket.
    mutating func removeDetached(_ index: Int, hash: UInt64) {
        removeIndex(index, hash: hash)
        unlinkByAge(index)
        entries[index].next = freeHead
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
            var cursor = wheel[slot].head
            while cursor >= 0 {
                let index = Int(cursor)
                cursor = entries[index].next
                if !entries[index].touched { return index }
                unschedule(index)
                schedule(index)
            }
            scanned += 1
            tick &+= 1
        }
        // Every entry was rescheduled once during the scan; the next one found will do.
        for slot in 0..<FlowCache.wheelSize where wheel[slot].head >= 0 { return Int(wheel[slot].head) }
        return nil
    }
}
