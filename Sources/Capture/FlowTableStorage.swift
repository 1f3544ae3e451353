/// The flow cache's memory: entries in one 128-byte-aligned block (each entry exactly two
/// cache lines) and the index slots. A class so the cache can manage it by hand without
/// per-access bounds and uniqueness checks; `FlowCache` copies it on write to stay a value.
final class FlowTableStorage {
    private(set) var entries: UnsafeMutablePointer<FlowEntry>
    private(set) var entryCapacity: Int
    /// Entries handed out so far (the free list recycles below this mark).
    var entryCount = 0
    private(set) var slots: UnsafeMutablePointer<UInt64>
    private(set) var slotCount: Int

    static let alignment = 128

    init(entryCapacity: Int, slotCount: Int) {
        self.entryCapacity = entryCapacity
        self.slotCount = slotCount
        entries = FlowTableStorage.allocateEntries(entryCapacity)
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
    }

    deinit {
        // FlowEntry is a trivial type: nothing to deinitialize.
        UnsafeMutableRawPointer(entries).deallocate()
        slots.deallocate()
    }

    private static func allocateEntries(_ capacity: Int) -> UnsafeMutablePointer<FlowEntry> {
        UnsafeMutableRawPointer.allocate(byteCount: max(1, capacity) * MemoryLayout<FlowEntry>.stride, alignment: alignment)
            .bindMemory(to: FlowEntry.self, capacity: max(1, capacity))
    }

    /// Doubles the entry block (amortised; never on the per-packet path of a warm cache).
    func growEntries() {
        let capacity = entryCapacity * 2
        let grown = FlowTableStorage.allocateEntries(capacity)
        grown.update(from: entries, count: entryCount)
        UnsafeMutableRawPointer(entries).deallocate()
        entries = grown
        entryCapacity = capacity
    }

    /// Replaces the slot array with an empty one of `count` slots; returns the old one, which
    /// the caller rehashes from and deallocates.
    func replaceSlots(count: Int) -> (UnsafeMutablePointer<UInt64>, Int) {
        let old = (slots, slotCount)
        slots = .allocate(capacity: count)
        slots.initialize(repeating: 0, count: count)
        slotCount = count
        return old
    }

    func copy() -> FlowTableStorage {
        let twin = FlowTableStorage(entryCapacity: entryCapacity, slotCount: slotCount)
        twin.entries.update(from: entries, count: entryCount)
        twin.slots.update(from: slots, count: slotCount)
        twin.entryCount = entryCount
        return twin
    }
}
