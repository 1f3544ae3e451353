import Atomics

/// A bounded, lock-free, single-producer single-consumer ring of `Element`s.
///
/// One thread pushes (capture and the flow cache), one thread pops (policy and the store). The
/// design follows the usual SPSC anchors (rigtorp's SPSCQueue, DPDK's SP/SC `rte_ring`, the LMAX
/// Disruptor's single-writer sequences):
///
/// - capacity is a power of two, so a slot is `index & mask`; the indices are free-running 64-bit
///   counters (they cannot wrap in practice), which makes "full" `tail - head == capacity` with no
///   spare slot;
/// - slots are allocated once, up front: moving an item is a copy into or out of a slot, never an
///   allocation;
/// - each index lives on its own 128-byte line together with the other data only its owner
///   writes, so the two threads never invalidate each other's lines except to publish;
/// - each side keeps a private copy of the other side's index and re-reads the shared one only
///   when its copy says full (producer) or empty (consumer);
/// - batch push and pop publish once per batch: one release store amortised over many items.
///
/// Memory ordering: a side reads its own index `.relaxed` (only it writes it), reads the other
/// side's index `.acquiring` (to see the slots written before it was published) and publishes its
/// own index `.releasing` (after writing or reading the slots).
///
/// Exactly one thread may call the producer methods (`push`, `tryPush`) and exactly one thread
/// the consumer methods (`pop`, `tryPop`) at a time; `close`, `statistics` and `isClosed` are safe
/// from any thread.
public final class SPSCRing<Element> {
    /// The number of slots, a power of two.
    public let capacity: Int
    public let overflowPolicy: RingOverflowPolicy

    @usableFromInline let mask: UInt64
    @usableFromInline let slots: UnsafeMutablePointer<Element>
    @usableFromInline let slotAllocation: UnsafeMutableRawPointer
    @usableFromInline let control: UnsafeMutableRawPointer

    // Producer line: written only by the producer.
    @usableFromInline let tail: UnsafeAtomic<UInt64>
    @usableFromInline let cachedHead: UnsafeMutablePointer<UInt64>
    @usableFromInline let droppedCounter: UnsafeAtomic<UInt64>
    @usableFromInline let producerWaitCounter: UnsafeAtomic<UInt64>

    // Consumer line: written only by the consumer.
    @usableFromInline let head: UnsafeAtomic<UInt64>
    @usableFromInline let cachedTail: UnsafeMutablePointer<UInt64>
    @usableFromInline let consumerWaitCounter: UnsafeAtomic<UInt64>
    @usableFromInline let maxOccupancyValue: UnsafeAtomic<UInt64>

    // Shared line: written once, by whichever side closes.
    @usableFromInline let closedFlag: UnsafeAtomic<Bool>

    /// Padding unit between the two sides' data: two 64-byte lines, because x86's adjacent-line
    /// prefetcher pulls lines in pairs and Apple silicon's lines are 128 bytes.
    @usableFromInline static var lineSize: Int { 128 }

    /// The largest capacity accepted (2^30 slots).
    public static var maximumCapacity: Int { 1 << 30 }

    /// Creates a ring with at least `minimumCapacity` slots (rounded up to a power of two).
    ///
    /// - Precondition: `1 ≤ minimumCapacity ≤ maximumCapacity`.
    public init(minimumCapacity: Int, overflowPolicy: RingOverflowPolicy) {
        precondition(
            minimumCapacity >= 1 && minimumCapacity <= Self.maximumCapacity,
            "ring capacity must be between 1 and \(Self.maximumCapacity), not \(minimumCapacity)")
        let capacity = Self.powerOfTwo(atLeast: minimumCapacity)
        self.capacity = capacity
        self.overflowPolicy = overflowPolicy
        self.mask = UInt64(capacity - 1)

        // Slots, padded by a line at each end so neighbouring allocations never share a line
        // with the first or last slot.
        let line = Self.lineSize
        let stride = max(MemoryLayout<Element>.stride, 1)
        let slotBytes = (capacity * stride + line - 1) / line * line
        slotAllocation = UnsafeMutableRawPointer.allocate(
            byteCount: line + slotBytes + line,
            alignment: max(line, MemoryLayout<Element>.alignment))
        slots = (slotAllocation + line).bindMemory(to: Element.self, capacity: capacity)

        let control = UnsafeMutableRawPointer.allocate(byteCount: 3 * line, alignment: line)
        self.control = control
        func atomic(line index: Int, word: Int) -> UnsafeAtomic<UInt64> {
            let storage = (control + index * line + word * 8)
                .bindMemory(to: UnsafeAtomic<UInt64>.Storage.self, capacity: 1)
            storage.initialize(to: UnsafeAtomic<UInt64>.Storage(0))
            return UnsafeAtomic(at: storage)
        }
        func plain(line index: Int, word: Int) -> UnsafeMutablePointer<UInt64> {
            let pointer = (control + index * line + word * 8).bindMemory(to: UInt64.self, capacity: 1)
            pointer.initialize(to: 0)
            return pointer
        }
        tail = atomic(line: 0, word: 0)
        cachedHead = plain(line: 0, word: 1)
        droppedCounter = atomic(line: 0, word: 2)
        producerWaitCounter = atomic(line: 0, word: 3)
        head = atomic(line: 1, word: 0)
        cachedTail = plain(line: 1, word: 1)
        consumerWaitCounter = atomic(line: 1, word: 2)
        maxOccupancyValue = atomic(line: 1, word: 3)
        let closedStorage = (control + 2 * line).bindMemory(to: UnsafeAtomic<Bool>.Storage.self, capacity: 1)
        closedStorage.initialize(to: UnsafeAtomic<Bool>.Storage(false))
        closedFlag = UnsafeAtomic(at: closedStorage)
    }

    deinit {
        // Both sides are gone (they held references), so plain reads are exact here.
        let first = head.load(ordering: .acquiring)
        let last = tail.load(ordering: .acquiring)
        var index = first
        while index != last {
            (slots + Int(index & mask)).deinitialize(count: 1)
            index &+= 1
        }
        slotAllocation.deallocate()
        control.deallocate()
    }

    static func powerOfTwo(atLeast value: Int) -> Int {
        var result = 1
        while result < value { result <<= 1 }
        return result
    }

    // MARK: - Shutdown

    /// Marks the end of the stream. Safe from either side and idempotent.
    ///
    /// The producer calls it after its last push: the consumer then drains what is left and its
    /// blocking `pop` returns 0 (or nil). The consumer may call it to abandon the stream: later
    /// pushes are refused and a producer waiting for space (`.wait`) gives up.
    public func close() {
        closedFlag.store(true, ordering: .releasing)
    }

    /// True once `close()` was called (items may still be waiting to be popped).
    public var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    /// True when the ring is closed and the consumer has taken every item: the stream is over.
    public var isFinished: Bool {
        guard isClosed else { return false }
        return head.load(ordering: .acquiring) == tail.load(ordering: .acquiring)
    }

    // MARK: - Observation

    /// The counters, readable from any thread (see `RingStatistics` on consistency).
    public var statistics: RingStatistics {
        // Popped before pushed: a snapshot never shows more popped than pushed.
        let popped = head.load(ordering: .acquiring)
        let pushed = tail.load(ordering: .acquiring)
        return RingStatistics(
            capacity: capacity,
            overflowPolicy: overflowPolicy,
            pushed: pushed,
            popped: popped,
            dropped: droppedCounter.load(ordering: .relaxed),
            maxOccupancy: Int(maxOccupancyValue.load(ordering: .relaxed)),
            producerWaits: producerWaitCounter.load(ordering: .relaxed),
            consumerWaits: consumerWaitCounter.load(ordering: .relaxed),
            isClosed: closedFlag.load(ordering: .acquiring))
    }

    /// Items currently in the ring (a moment's view when both sides are running).
    public var count: Int {
        let popped = head.load(ordering: .acquiring)
        return Int(tail.load(ordering: .acquiring) &- popped)
    }

    /// Checks the ring's internal invariants; traps with a message when one is broken.
    ///
    /// Only meaningful while neither side is inside a push or pop (it reads both sides' private
    /// copies), e.g. in tests after both threads were joined. Compiled out of release builds.
    public func _checkInvariants() {
        #if DEBUG
        let head = head.load(ordering: .acquiring)
        let tail = tail.load(ordering: .acquiring)
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "capacity \(capacity) is not a power of two")
        precondition(mask == UInt64(capacity - 1), "mask \(mask) does not match capacity \(capacity)")
        precondition(head <= tail, "consumer index \(head) is past producer index \(tail)")
        precondition(tail - head <= UInt64(capacity), "occupancy \(tail - head) exceeds capacity \(capacity)")
        precondition(cachedHead.pointee <= head, "producer's copy of the consumer index is ahead of it")
        precondition(cachedTail.pointee <= tail, "consumer's copy of the producer index is ahead of it")
        precondition(cachedTail.pointee >= head, "consumer's copy of the producer index is behind its own index")
        precondition(maxOccupancyValue.load(ordering: .relaxed) <= UInt64(capacity), "max occupancy exceeds capacity")
        #endif
    }
}

// The ring hands elements from one thread to another; its own state is guarded by the
// acquire/release protocol above, so it is as sendable as what it carries.
extension SPSCRing: @unchecked Sendable where Element: Sendable {}
