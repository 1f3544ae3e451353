import Atomics

// The producer side: only one thread at a time may call these.
extension SPSCRing {
    /// Free slots as the producer sees them, re-reading the consumer's index only when the private
    /// copy says there is less room than `wanted`.
    @inlinable @inline(__always)
    func reserve(_ wanted: Int, at tail: UInt64) -> Int {
        var free = capacity &- Int(truncatingIfNeeded: tail &- cachedHead.pointee)
        if free < wanted {
            cachedHead.pointee = head.load(ordering: .acquiring)
            free = capacity &- Int(truncatingIfNeeded: tail &- cachedHead.pointee)
        }
        return Swift.min(free, wanted)
    }

    /// Copies `count` items from `source` into the slots from `tail` on (wrapping at the end).
    @inlinable @inline(__always)
    func copyIn(_ source: UnsafePointer<Element>, count: Int, at tail: UInt64) {
        let start = Int(truncatingIfNeeded: tail & mask)
        let first = Swift.min(count, capacity &- start)
        (slots + start).initialize(from: source, count: first)
        if first < count {
            slots.initialize(from: source + first, count: count &- first)
        }
    }

    @inlinable
    func countDropped(_ count: Int) {
        // Single writer: a load and a store, no read-modify-write needed.
        droppedCounter.store(
            droppedCounter.load(ordering: .relaxed) &+ UInt64(count), ordering: .relaxed)
    }

    @inlinable
    func countProducerWait() {
        producerWaitCounter.store(
            producerWaitCounter.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    /// Pushes as many of `elements` as the overflow policy allows and returns how many went in.
    ///
    /// - `.dropNewest`: never waits; the items that do not fit are counted as dropped.
    /// - `.wait`: waits for space until every item is in, unless the ring is closed meanwhile.
    ///
    /// A closed ring accepts nothing (returns 0, counts nothing).
    @inlinable
    public func push(contentsOf elements: UnsafeBufferPointer<Element>) -> Int {
        push(contentsOf: elements, overflowPolicy: overflowPolicy)
    }

    /// Pushes under a policy other than the ring's own for this call: a live-capture ring
    /// (`.dropNewest`) can take the flow cache's final flush at shutdown with `.wait`, when the
    /// consumer is known to be draining and dropping would lose data for nothing.
    @inlinable
    public func push(contentsOf elements: UnsafeBufferPointer<Element>, overflowPolicy: RingOverflowPolicy) -> Int {
        guard let base = elements.baseAddress, !elements.isEmpty else { return 0 }
        if closedFlag.load(ordering: .relaxed) { return 0 }
        var done = 0
        var backoff = RingBackoff()
        while done < elements.count {
            let tail = self.tail.load(ordering: .relaxed)
            let room = reserve(elements.count &- done, at: tail)
            if room == 0 {
                if overflowPolicy == .dropNewest {
                    countDropped(elements.count &- done)
                    return done
                }
                if closedFlag.load(ordering: .acquiring) { return done }
                if !backoff.hasStarted { countProducerWait() }
                backoff.pause()
                continue
            }
            copyIn(base + done, count: room, at: tail)
            self.tail.store(tail &+ UInt64(room), ordering: .releasing)
            done &+= room
            backoff = RingBackoff()
        }
        return done
    }

    /// Pushes the items of an array; see `push(contentsOf:)` for the buffer form.
    @inlinable
    public func push(contentsOf elements: [Element]) -> Int {
        elements.withUnsafeBufferPointer { push(contentsOf: $0, overflowPolicy: overflowPolicy) }
    }

    /// Pushes the items of an array under `overflowPolicy` for this call.
    @inlinable
    public func push(contentsOf elements: [Element], overflowPolicy: RingOverflowPolicy) -> Int {
        elements.withUnsafeBufferPointer { push(contentsOf: $0, overflowPolicy: overflowPolicy) }
    }

    /// Pushes one item under the overflow policy; false when it was dropped or the ring is closed.
    @inlinable @discardableResult
    public func push(_ element: Element) -> Bool {
        if closedFlag.load(ordering: .relaxed) { return false }
        let tail = self.tail.load(ordering: .relaxed)
        if reserve(1, at: tail) == 0 {
            if overflowPolicy == .dropNewest {
                countDropped(1)
                return false
            }
            var backoff = RingBackoff()
            countProducerWait()
            repeat {
                if closedFlag.load(ordering: .acquiring) { return false }
                backoff.pause()
            } while reserve(1, at: tail) == 0
        }
        (slots + Int(truncatingIfNeeded: tail & mask)).initialize(to: element)
        self.tail.store(tail &+ 1, ordering: .releasing)
        return true
    }

    /// Pushes one item if there is room, never waiting and never counting a drop: for callers
    /// that handle a full ring themselves. False when full or closed.
    @inlinable
    public func tryPush(_ element: Element) -> Bool {
        if closedFlag.load(ordering: .relaxed) { return false }
        let tail = self.tail.load(ordering: .relaxed)
        guard reserve(1, at: tail) == 1 else { return false }
        (slots + Int(truncatingIfNeeded: tail & mask)).initialize(to: element)
        self.tail.store(tail &+ 1, ordering: .releasing)
        return true
    }
}
