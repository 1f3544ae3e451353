#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The timing wheel's buckets: for each, the entry indices scheduled in it, in the order they
/// were scheduled, in one growable array.
///
/// The wheel used to link a bucket's entries through the entries themselves. Scheduling then
/// wrote the previous tail's link (a flow scheduled long ago, anywhere in the table), taking
/// one out wrote both neighbours', and draining a bucket followed the links, each entry's
/// address known only once the one before had arrived from memory: a chain of misses per
/// bucket, since a bucket's flows lie anywhere in the table. Here scheduling appends to the
/// bucket's array, taking an entry out overwrites its element with `vacant` (the entry keeps
/// its position), and a drain reads the array, so it can fetch entries several places ahead.
/// Vacated elements go when the bucket is drained, once per turn of the wheel.
///
/// ```
/// bucket s:  [ 17 | 4 | vacant | 902 | 33 | ... ]   count 5, capacity ≥ 5
///              ^ position 0      ^ entry 902 has wheelSlot s, wheelPosition 3
/// ```
///
/// Owned by `FlowTableStorage` (copied with it, so the cache stays a value).
struct WheelBuckets {
    /// An element whose entry was taken out of the bucket.
    static let vacant: Int32 = -1

    struct Bucket {
        var items: UnsafeMutablePointer<Int32>?
        var count: Int32 = 0
        var capacity: Int32 = 0
    }

    /// `bucketCount` buckets, then a spare for each: a drain trades a bucket's array for its
    /// spare's (`beginDrain`).
    private let buckets: UnsafeMutablePointer<Bucket>
    let bucketCount: Int

    /// Elements an array keeps whatever its use (`endDrain`).
    let keptCapacity: Int32

    /// `keptCapacity`: 8,192 elements (32 KiB); tests make it small to free arrays often.
    init(bucketCount: Int, keptCapacity: Int32 = 8192) {
        self.bucketCount = bucketCount
        self.keptCapacity = keptCapacity
        buckets = .allocate(capacity: bucketCount * 2)
        buckets.initialize(repeating: Bucket(), count: bucketCount * 2)
    }

    /// Frees every array; the value must not be used afterwards.
    func deallocate() {
        for i in 0..<bucketCount * 2 { free(buckets[i].items) }
        buckets.deallocate()
    }

    /// An independent copy with the same contents (spares empty).
    func copy() -> WheelBuckets {
        let twin = WheelBuckets(bucketCount: bucketCount, keptCapacity: keptCapacity)
        for slot in 0..<bucketCount where buckets[slot].count > 0 {
            let source = buckets[slot]
            twin.reserve(slot, Int(source.count))
            twin.buckets[slot].items!.update(from: source.items!, count: Int(source.count))
            twin.buckets[slot].count = source.count
        }
        return twin
    }

    /// Appends `index` to bucket `slot`; returns its position there.
    @inline(__always)
    func append(_ index: Int32, to slot: Int) -> Int32 {
        let count = buckets[slot].count
        if count == buckets[slot].capacity { reserve(slot, Int(count) + 1) }
        buckets[slot].items![Int(count)] = index
        buckets[slot].count = count &+ 1
        return count
    }

    /// Takes the element at `position` of bucket `slot` out.
    @inline(__always)
    func vacate(_ slot: Int, at position: Int32) {
        buckets[slot].items![Int(position)] = Self.vacant
    }

    /// How many elements bucket `slot` holds, vacated ones included.
    @inline(__always)
    func count(_ slot: Int) -> Int { Int(buckets[slot].count) }

    /// The element at `position` of bucket `slot` (`vacant` or an entry index).
    @inline(__always)
    func element(_ slot: Int, at position: Int) -> Int32 { buckets[slot].items![position] }

    /// Takes bucket `slot`'s elements out for a drain and leaves the bucket empty: the bucket
    /// takes its spare's array, the spare holds what was taken (`draining(slot)`) until
    /// `endDrain(slot)` empties it. Entries scheduled meanwhile, in this slot too, go to the
    /// bucket's new array.
    func beginDrain(_ slot: Int) {
        let taken = buckets[slot]
        buckets[slot] = buckets[bucketCount + slot]
        buckets[slot].count = 0
        buckets[bucketCount + slot] = taken
    }

    /// The elements `beginDrain(slot)` took out.
    func draining(_ slot: Int) -> UnsafeBufferPointer<Int32> {
        UnsafeBufferPointer(start: buckets[bucketCount + slot].items, count: Int(buckets[bucketCount + slot].count))
    }

    /// Empties the spare `beginDrain(slot)` filled. An array kept after a burst of flows would
    /// hold its memory for good, trading places with the bucket at every turn: one larger than
    /// `keptCapacity` whose drain used less than a quarter of it is freed instead.
    func endDrain(_ slot: Int) {
        let spare = bucketCount + slot
        if buckets[spare].capacity > keptCapacity && buckets[spare].count < buckets[spare].capacity / 4 {
            free(buckets[spare].items)
            buckets[spare] = Bucket()
        } else {
            buckets[spare].count = 0
        }
    }

    /// Empties every bucket (keeping their arrays).
    func removeAll() {
        for i in 0..<bucketCount * 2 { buckets[i].count = 0 }
    }

    /// Grows bucket `slot`'s array to hold at least `needed` elements.
    private func reserve(_ slot: Int, _ needed: Int) {
        let capacity = max(needed, Int(buckets[slot].capacity) * 2, 64)
        guard let grown = realloc(buckets[slot].items, capacity * MemoryLayout<Int32>.stride) else {
            fatalError("flow cache: cannot grow a timing-wheel bucket to \(capacity) entries")
        }
        buckets[slot].items = grown.assumingMemoryBound(to: Int32.self)
        buckets[slot].capacity = Int32(clamping: capacity)
    }
}
