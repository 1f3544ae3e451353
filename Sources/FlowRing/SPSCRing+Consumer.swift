import Atomics

// The consumer side: only one thread at a time may call these.
extension SPSCRing {
    /// Items ready as the consumer sees them, re-reading the producer's index only when the
    /// private copy shows fewer than `wanted`.
    @inlinable @inline(__always)
    func available(_ wanted: Int, at head: UInt64) -> Int {
        var ready = Int(truncatingIfNeeded: cachedTail.pointee &- head)
        if ready < wanted {
            cachedTail.pointee = tail.load(ordering: .acquiring)
            ready = Int(truncatingIfNeeded: cachedTail.pointee &- head)
            if UInt64(ready) > maxOccupancyValue.load(ordering: .relaxed) {
                maxOccupancyValue.store(UInt64(ready), ordering: .relaxed)
            }
        }
        return Swift.min(ready, wanted)
    }

    @inlinable
    func countConsumerWait() {
        consumerWaitCounter.store(
            consumerWaitCounter.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    /// Moves up to `maximum` items to the end of `buffer` without waiting; returns how many.
    ///
    /// The buffer is appended to, not cleared: reuse one with `removeAll(keepingCapacity: true)`
    /// and reserved capacity so popping never allocates.
    @inlinable
    public func tryPop(into buffer: inout [Element], maximum: Int) -> Int {
        guard maximum > 0 else { return 0 }
        let head = self.head.load(ordering: .relaxed)
        let count = available(maximum, at: head)
        guard count > 0 else { return 0 }
        let start = Int(truncatingIfNeeded: head & mask)
        let first = Swift.min(count, capacity &- start)
        buffer.append(contentsOf: UnsafeBufferPointer(start: slots + start, count: first))
        (slots + start).deinitialize(count: first)
        if first < count {
            buffer.append(contentsOf: UnsafeBufferPointer(start: slots, count: count &- first))
            slots.deinitialize(count: count &- first)
        }
        self.head.store(head &+ UInt64(count), ordering: .releasing)
        return count
    }

    /// Moves up to `maximum` items to the end of `buffer`, waiting (spin, yield, then short
    /// sleeps) until at least one is ready. Returns 0 only when the ring is closed and drained:
    /// the end of the stream.
    @inlinable
    public func pop(into buffer: inout [Element], maximum: Int) -> Int {
        precondition(maximum > 0, "pop needs room for at least one item")
        var backoff = RingBackoff()
        while true {
            let count = tryPop(into: &buffer, maximum: maximum)
            if count > 0 { return count }
            if closedFlag.load(ordering: .acquiring) {
                // Everything pushed before `close` is visible now: one last look.
                return tryPop(into: &buffer, maximum: maximum)
            }
            if !backoff.hasStarted { countConsumerWait() }
            backoff.pause()
        }
    }

    /// Takes one item if one is ready, without waiting.
    @inlinable
    public func tryPop() -> Element? {
        let head = self.head.load(ordering: .relaxed)
        guard available(1, at: head) == 1 else { return nil }
        let element = (slots + Int(truncatingIfNeeded: head & mask)).move()
        self.head.store(head &+ 1, ordering: .releasing)
        return element
    }

    /// Takes one item, waiting until one is ready; nil only when the ring is closed and drained.
    @inlinable
    public func pop() -> Element? {
        var backoff = RingBackoff()
        while true {
            if let element = tryPop() { return element }
            if closedFlag.load(ordering: .acquiring) { return tryPop() }
            if !backoff.hasStarted { countConsumerWait() }
            backoff.pause()
        }
    }
}

// Reading in place: the consumer looks at the items where they lie in the ring instead of
// copying them out first, which saves one copy of every item (for 100-byte flow records, half
// the memory traffic).
extension SPSCRing {
    /// Passes up to `maximum` ready items to `body` where they lie in the ring, without waiting,
    /// then releases their slots; returns how many. `body` runs once, or twice when the items
    /// wrap past the end of the slots, and must not keep the buffer. If it throws, the items it
    /// was shown still count as consumed.
    @inlinable
    public func tryConsume(maximum: Int, _ body: (UnsafeBufferPointer<Element>) throws -> Void) rethrows -> Int {
        guard maximum > 0 else { return 0 }
        let head = self.head.load(ordering: .relaxed)
        let count = available(maximum, at: head)
        guard count > 0 else { return 0 }
        let start = Int(truncatingIfNeeded: head & mask)
        let first = Swift.min(count, capacity &- start)
        defer {
            (slots + start).deinitialize(count: first)
            if first < count { slots.deinitialize(count: count &- first) }
            self.head.store(head &+ UInt64(count), ordering: .releasing)
        }
        try body(UnsafeBufferPointer(start: slots + start, count: first))
        if first < count {
            try body(UnsafeBufferPointer(start: slots, count: count &- first))
        }
        return count
    }

    /// Like `tryConsume`, but waits (spin, yield, then short sleeps) until at least one item is
    /// ready. Returns 0 only when the ring is closed and drained.
    @inlinable
    public func consume(maximum: Int, _ body: (UnsafeBufferPointer<Element>) throws -> Void) rethrows -> Int {
        precondition(maximum > 0, "consume needs room for at least one item")
        var backoff = RingBackoff()
        while true {
            let count = try tryConsume(maximum: maximum, body)
            if count > 0 { return count }
            if closedFlag.load(ordering: .acquiring) {
                return try tryConsume(maximum: maximum, body)
            }
            if !backoff.hasStarted { countConsumerWait() }
            backoff.pause()
        }
    }
}
