import CPrefetch
import FlowCore

/// Numbers a block's distinct values densely (0, 1, 2, … in order of first sight) and keeps
/// them in that order (`keys`): the encoder's per-flow lookups of addresses, conversations,
/// shapes and annotations.
///
/// A `Dictionary` hashed every key with SipHash (nine words for a conversation) and spread each
/// lookup over its bitmap, key and value storage. Here a slot is eight bytes, a 32-bit tag of the
/// key's hash beside the key's number, so a probe touches one small slot and compares keys (in
/// `keys`) only when the tags agree; the hash is a few multiplications of the key's words
/// (`DenseKey`). Linear probing, at most half full, no deletion: a block empties it whole.
///
/// Addresses, ports and which pairs talk come from the wire, and a sender who could compute
/// the slots could line keys up on one and make each new key walk the whole run. So the hash
/// starts from `seed`, a secret drawn for each table (`DenseKey.denseHash(seed:)`), as the
/// capture's flow table and the policy engine's key tables do; numbers go by first sight, so
/// nothing written depends on it.
struct DenseNumbering<Key: DenseKey> {
    private struct Slot {
        /// The key's hash, low half; never read while `number` is -1.
        var tag: UInt32
        /// -1: empty.
        var number: Int32
    }

    private static var empty: Slot { Slot(tag: 0, number: -1) }
    private var slots: [Slot]
    private var shift: UInt64
    /// The keys by number.
    private(set) var keys: [Key] = []
    /// Where the keys' hashes start; a stored property, read with the table.
    let seed: UInt64

    init() {
        var random = SystemRandomNumberGenerator()
        self.init(seed: random.next())
    }

    /// Given seed: for tests, which compare seeds.
    init(seed: UInt64) {
        slots = Array(repeating: Self.empty, count: 64)
        shift = 64 - 6
        self.seed = seed
    }

    var count: Int { keys.count }

    /// The key's number, numbering it (the next number, `count` before the call) when it has none.
    @inline(__always)
    mutating func number(of key: Key) -> Int {
        let probe = find(key)
        if probe.number >= 0 { return Int(probe.number) }
        let number = keys.count
        keys.append(key)
        if (number + 1) * 2 > slots.count {
            grow()
        } else {
            slots[probe.slot] = Slot(tag: probe.tag, number: Int32(truncatingIfNeeded: number))
        }
        return number
    }

    /// Where `key` is: its number and slot, or (number -1) the empty slot that ends its probe,
    /// where it would go, and the tag it would carry.
    @inline(__always)
    private func find(_ key: Key) -> (number: Int32, slot: Int, tag: UInt32) {
        let hash = Self.finalized(key.denseHash(seed: seed))
        let tag = UInt32(truncatingIfNeeded: hash)
        // Plain subscripts, no `withUnsafeBufferPointer` closures: those retained both arrays
        // around every probe.
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash >> shift)
        while true {
            let slot = slots[i]
            if slot.number < 0 { return (-1, i, tag) }
            if slot.tag == tag && keys[Int(slot.number)] == key { return (slot.number, i, tag) }
            i = (i + 1) & mask
        }
    }

    /// Forgets every key; the table keeps its size.
    mutating func removeAll() {
        guard !keys.isEmpty else { return }
        keys.removeAll(keepingCapacity: true)
        slots.withUnsafeMutableBufferPointer { table in
            for i in table.indices { table[i] = Self.empty }
        }
    }

    /// The slot `key` is looked for first, in a table of `2^(64 - shift)` slots: for tests.
    func home(of key: Key, shift: UInt64) -> Int { Int(truncatingIfNeeded: Self.finalized(key.denseHash(seed: seed)) >> shift) }

    /// Spreads the key's hash over the high bits (which pick the slot) and the low ones (the tag).
    @inline(__always)
    private static func finalized(_ h: UInt64) -> UInt64 {
        var h = h
        h ^= h >> 31
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        return h
    }

    /// Doubles the table and places every key again (`keys` holds them all, the newest included).
    private mutating func grow() {
        let size = slots.count * 2
        slots = Array(repeating: Self.empty, count: size)
        shift -= 1
        slots.withUnsafeMutableBufferPointer { table in
            let mask = size - 1
            for (number, key) in keys.enumerated() {
                let hash = Self.finalized(key.denseHash(seed: seed))
                var i = Int(truncatingIfNeeded: hash >> shift)
                while table[i].number >= 0 { i = (i + 1) & mask }
                table[i] = Slot(tag: UInt32(truncatingIfNeeded: hash), number: Int32(truncatingIfNeeded: number))
            }
        }
    }
}

/// Read-only probes for the numbering stage's lookahead (`BlockEncoder+Lookahead`): each asks
/// for a cache line a later `number(of:)` will read and changes nothing.
extension DenseNumbering {
    /// Asks for the key's home slot. Mutating so that the table is read in place.
    @inline(__always)
    mutating func prefetch(_ key: Key) {
        let i = Int(truncatingIfNeeded: Self.finalized(key.denseHash(seed: seed)) >> shift)
        slots.withUnsafeBufferPointer { flowlog_prefetch_read($0.baseAddress! + i) }
    }

    /// With the key's slots in the cache: asks for the key of the first slot whose tag is the
    /// key's (the entry `number(of:)` compares), reading no key. Nothing when the probe meets an
    /// empty slot first (a key new to the block).
    @inline(__always)
    mutating func prefetchKey(of key: Key) {
        let hash = Self.finalized(key.denseHash(seed: seed))
        let tag = UInt32(truncatingIfNeeded: hash)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash >> shift)
        slots.withUnsafeBufferPointer { table in
            while true {
                let slot = table[i]
                if slot.number < 0 { return }
                if slot.tag == tag {
                    keys.withUnsafeBufferPointer { keys in
                        if Int(slot.number) < keys.count { flowlog_prefetch_read(keys.baseAddress! + Int(slot.number)) }
                    }
                    return
                }
                i = (i + 1) & mask
            }
        }
    }

    /// The key's number if it has one; numbers nothing.
    func existingNumber(of key: Key) -> Int? {
        let number = find(key).number
        return number >= 0 ? Int(number) : nil
    }
}

/// A key `DenseNumbering` can number: equal keys must give equal hashes.
protocol DenseKey: Equatable {
    /// The key's words mixed (`DenseHash.mix`); the numbering spreads the bits itself.
    var denseHash: UInt64 { get }
    /// The hash a table with `seed` uses. By default the seed is folded into `denseHash`, which
    /// holds for keys made of the store's own numbers and short fields such as ports (nobody can
    /// build two with equal hashes); a key whose wide words come straight from the wire starts
    /// its mix from the seed, so that keys built to share a `denseHash` do not collide under
    /// every seed.
    func denseHash(seed: UInt64) -> UInt64
}

extension DenseKey {
    @inline(__always)
    func denseHash(seed: UInt64) -> UInt64 { denseHash ^ seed }
}

/// Mixing a key's words into one, for `DenseKey.denseHash`.
enum DenseHash {
    @inline(__always)
    static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
        (h ^ word) &* 0x9E37_79B9_7F4A_7C15 ^ (h >> 32)
    }
}

extension UInt64: DenseKey {
    var denseHash: UInt64 { self &* 0x9E37_79B9_7F4A_7C15 }
}

extension IPAddress: DenseKey {
    var denseHash: UInt64 { DenseHash.mix(DenseHash.mix(high, low), UInt64(version.rawValue)) }

    /// From the seed: a sender picks both words of an IPv6 address, and for any `high` there is
    /// a `low` giving `mix(high, low)` any value, so addresses with equal unseeded hashes are
    /// easy to make.
    @inline(__always)
    func denseHash(seed: UInt64) -> UInt64 {
        DenseHash.mix(DenseHash.mix(DenseHash.mix(seed, high), low), UInt64(version.rawValue))
    }
}
