#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The flow cache's memory: entries in one page-aligned block (each entry exactly two cache
/// lines) and the index slots. A class so the cache can manage it by hand without
/// per-access bounds and uniqueness checks; `FlowCache` copies it on write to stay a value.
///
/// Both arrays are mapped from the kernel (`PageMemory`), which hands out zeroed pages as
/// they are first touched. The entry block reserves address space for the cache's whole
/// capacity up front, so it never moves: growing by doubling copied every entry again and
/// faulted in each new block while the old one was still held (a live node's table fills
/// while traffic is flowing, and those copies and faults were a tenth of the capture thread).
final class FlowTableStorage {
    private(set) var entries: UnsafeMutablePointer<FlowEntry>
    private var entryMemory: PageMemory
    private(set) var entryCapacity: Int
    /// Entries handed out so far (the free list recycles below this mark).
    var entryCount = 0
    private(set) var slots: UnsafeMutablePointer<UInt64>
    private var slotMemory: PageMemory
    private(set) var slotCount: Int
    /// The timing wheel's buckets (`FlowCache+Wheel.swift`).
    let wheel: WheelBuckets

    /// Reserved entries at most; a cache allowed more grows its block by doubling past this.
    static let largestReservation = 1 << 24

    /// `reservedEntries`: entries to reserve address space for (the cache's capacity).
    convenience init(reservedEntries: Int, slotCount: Int) {
        self.init(reservedEntries: reservedEntries, slotCount: slotCount, wheel: WheelBuckets(bucketCount: FlowCache.wheelSize))
    }

    /// `wheel`: empty buckets for a new table, a copy of the original's for a copy (`copy`).
    private init(reservedEntries: Int, slotCount: Int, wheel: WheelBuckets) {
        let (memory, capacity) = FlowTableStorage.mapEntries(max(1, min(reservedEntries, FlowTableStorage.largestReservation)))
        entryMemory = memory
        entryCapacity = capacity
        entries = memory.base.bindMemory(to: FlowEntry.self, capacity: capacity)
        self.slotCount = slotCount
        slotMemory = PageMemory.mapOrFail(byteCount: slotCount * MemoryLayout<UInt64>.stride)
        slots = slotMemory.base.bindMemory(to: UInt64.self, capacity: slotCount)
        self.wheel = wheel
    }

    deinit {
        // FlowEntry is a trivial type: nothing to deinitialize.
        entryMemory.unmap()
        slotMemory.unmap()
        wheel.deallocate()
    }

    /// Maps address space for `capacity` entries; where the system refuses so large a
    /// reservation (strict overcommit), a small block that `growEntries` doubles.
    private static func mapEntries(_ capacity: Int) -> (PageMemory, Int) {
        let stride = MemoryLayout<FlowEntry>.stride
        if let memory = PageMemory.map(byteCount: capacity * stride) { return (memory, capacity) }
        let small = min(capacity, 2048)
        return (PageMemory.mapOrFail(byteCount: small * stride), small)
    }

    /// Doubles the entry block: only past the reservation (or where it was refused).
    func growEntries() {
        let capacity = entryCapacity * 2
        let grown = PageMemory.mapOrFail(byteCount: capacity * MemoryLayout<FlowEntry>.stride)
        let moved = grown.base.bindMemory(to: FlowEntry.self, capacity: capacity)
        moved.update(from: entries, count: entryCount)
        entryMemory.unmap()
        entryMemory = grown
        entries = moved
        entryCapacity = capacity
    }

    /// Replaces the slot array with an empty one of `count` slots; returns the old one, which
    /// the caller rehashes from and then unmaps.
    func replaceSlots(count: Int) -> (UnsafeMutablePointer<UInt64>, Int, PageMemory) {
        let old = (slots, slotCount, slotMemory)
        slotMemory = PageMemory.mapOrFail(byteCount: count * MemoryLayout<UInt64>.stride)
        slots = slotMemory.base.bindMemory(to: UInt64.self, capacity: count)
        slotCount = count
        return old
    }

    func copy() -> FlowTableStorage {
        let twin = FlowTableStorage(reservedEntries: entryCapacity, slotCount: slotCount, wheel: wheel.copy())
        while twin.entryCapacity < entryCount { twin.growEntries() }
        twin.entries.update(from: entries, count: entryCount)
        twin.slots.update(from: slots, count: slotCount)
        twin.entryCount = entryCount
        return twin
    }
}

/// Zeroed, page-aligned memory mapped from the kernel, unmapped by hand. Address space only
/// until a page is first touched (`MAP_NORESERVE`), so a large reservation costs nothing it
/// does not use.
struct PageMemory {
    let base: UnsafeMutableRawPointer
    let byteCount: Int
    /// A transparent huge page on x86-64 and most arm64 kernels.
    static let hugePageBytes = 2 << 20

    static func map(byteCount: Int) -> PageMemory? {
        let length = max(byteCount, 1)
        let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let address, address != MAP_FAILED else { return nil }
        #if os(Linux)
        if length >= PageMemory.hugePageBytes {
            // The table is read at random, one or two cache lines per packet: in 4 KiB pages a
            // large table takes a fault per page as it fills and a TLB miss on most lookups.
            // Transparent huge pages (2 MiB) where the system allows them (`madvise` mode) cut
            // both; a hint only, so its failure changes nothing.
            _ = madvise(address, length, MADV_HUGEPAGE)
        }
        #endif
        return PageMemory(base: address, byteCount: length)
    }

    /// `map`, or stops the process as an allocation failure would.
    static func mapOrFail(byteCount: Int) -> PageMemory {
        guard let memory = map(byteCount: byteCount) else {
            fatalError("flow cache: cannot map \(byteCount) bytes: \(String(cString: strerror(errno)))")
        }
        return memory
    }

    func unmap() { munmap(base, byteCount) }
}
