/// Numbers distinct keys densely (0, 1, 2, … in order of first insertion) in one flat,
/// open-addressed table; callers keep what a number stands for in arrays of their own.
///
/// The engine's caches are looked up once or more per flow, and a fresh engine on a busy node
/// meets mostly new keys: a `Dictionary` of 48-byte keys spread each lookup over its bitmap,
/// key and value arrays (three cache misses), hashed every key with SipHash and rehashed every
/// entry on each growth. Here a key is three machine words (addresses by their number in the
/// engine's address table, not by value), a slot holds the key and its number side by side
/// (one cache line per probe), the hash is two multiplications, and growing moves slots
/// without calling anything. Linear probing, at most half full; no deletion (a full cache is
/// emptied whole, as before).
import CPrefetch

struct KeyNumbering {
    struct Key: Equatable {
        var a: UInt64
        var b: UInt64
        var c: UInt32
    }

    private struct Slot {
        var key: Key
        /// -1: empty.
        var number: Int32
    }

    private static let empty = Slot(key: Key(a: 0, b: 0, c: 0), number: -1)
    private var slots: [Slot]
    private var shift: UInt64
    private(set) var count = 0
    /// Drawn from the system's random source for each table. Keys are not only numbers the
    /// engine hands out: between IPv4 addresses a decision's key holds both addresses and the
    /// ports as they came off the wire. With a fixed hash, anyone who reads this source could
    /// send flows whose keys share a slot, and every new flow would walk the whole run on the
    /// deciding thread. Nothing depends on where a key lands (numbers go in order of first
    /// insertion), so verdicts and stores are the same from run to run.
    private let seed: UInt64

    init(minimumCapacity: Int = 16) {
        var random = SystemRandomNumberGenerator()
        self.init(minimumCapacity: minimumCapacity, seed: random.next())
    }

    /// Given seed: for tests, which compare seeds.
    init(minimumCapacity: Int, seed: UInt64) {
        var size = 16
        while size < minimumCapacity * 2 { size <<= 1 }
        slots = Array(repeating: Self.empty, count: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
        self.seed = seed
    }

    /// Fibonacci hashing of the three words, the first with the table's seed: keys that differ
    /// in a few low bits (small numbers, ports) land far apart.
    @inline(__always)
    func home(_ key: Key) -> Int {
        var h = (key.a ^ seed) &* 0x9E37_79B9_7F4A_7C15
        h ^= (key.b ^ UInt64(key.c) << 32 ^ UInt64(key.c)) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 29
        return Int(truncatingIfNeeded: (h &* 0xBF58_476D_1CE4_E5B9) >> shift)
    }

    /// The key's number, or nil when it has none.
    @inline(__always)
    func number(of key: Key) -> Int? {
        slots.withUnsafeBufferPointer { table in
            let mask = table.count - 1
            var i = home(key)
            while true {
                let slot = table[i]
                if slot.number < 0 { return nil }
                if slot.key == key { return Int(slot.number) }
                i = (i + 1) & mask
            }
        }
    }

    /// Asks the processor to fetch the key's home slot ahead of a lookup: the tables of a busy
    /// engine are megabytes, and a probe of a new key mostly misses every cache. A hint only.
    /// Both ends of the slot: slots are 24 bytes, so a quarter of them cross into the next
    /// cache line, and for those the number a probe tests first lies in the second line.
    /// Mutating so that a table held in a class is read in place, not copied out (a retain
    /// and a release of each of its owner's arrays).
    @inline(__always)
    mutating func prefetch(_ key: Key) {
        slots.withUnsafeBufferPointer { table in
            let slot = UnsafeRawPointer(table.baseAddress! + home(key))
            flowlog_prefetch_read(slot)
            flowlog_prefetch_read(slot + (MemoryLayout<Slot>.size - 1))
        }
    }

    /// `number(of:)` for the pipeline's later prefetch stages, whose slots an earlier stage
    /// fetched; mutating for the reason `prefetch` is.
    @inline(__always)
    mutating func peekNumber(of key: Key) -> Int? { number(of: key) }

    /// Gives a key that has no number yet the next one (`count` before the call) and returns it.
    @discardableResult
    mutating func insert(_ key: Key) -> Int {
        if (count + 1) * 2 > slots.count { grow() }
        let number = count
        place(key, number: Int32(truncatingIfNeeded: number))
        count += 1
        return number
    }

    /// Forgets every key; the table keeps its size.
    mutating func removeAll() {
        guard count > 0 else { return }
        slots.withUnsafeMutableBufferPointer { table in
            for i in table.indices { table[i] = Self.empty }
        }
        count = 0
    }

    private mutating func place(_ key: Key, number: Int32) {
        let start = home(key)
        slots.withUnsafeMutableBufferPointer { table in
            let mask = table.count - 1
            var i = start
            while table[i].number >= 0 { i = (i + 1) & mask }
            table[i] = Slot(key: key, number: number)
        }
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Self.empty, count: old.count * 2)
        shift -= 1
        for slot in old where slot.number >= 0 { place(slot.key, number: slot.number) }
    }
}
