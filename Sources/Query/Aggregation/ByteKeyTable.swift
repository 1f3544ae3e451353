import FlowCore

/// Maps byte strings (group keys) to dense slot numbers 0, 1, 2, … with open addressing.
///
/// Keys are copied once, on first sight, into one arena; a lookup hashes the probe bytes in
/// place and compares them against the arena, so looking up a key allocates nothing.
struct ByteKeyTable {
    private var arena: [UInt8] = []
    /// Per slot: where its key starts in the arena, and its hash.
    private var keyStarts: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Slot + 1 per bucket; 0 is empty. The count is a power of two, at most half full.
    private var buckets = [Int32](repeating: 0, count: 1024)

    var count: Int { hashes.count }

    func key(_ slot: Int) -> ArraySlice<UInt8> { arena[keyStarts[slot]..<keyStarts[slot + 1]] }

    /// The key's slot, adding it when new; `inserted` tells which.
    mutating func slot(for key: UnsafeBufferPointer<UInt8>) -> (slot: Int, inserted: Bool) {
        var h = FNV1a.start
        for b in key { h = FNV1a.mix(h, b) }
        h = FNV1a.finish(h)
        let mask = buckets.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = Int(buckets[i])
            if entry == 0 { break }
            let slot = entry - 1
            if hashes[slot] == h, equals(slot, key) { return (slot, false) }
            i = (i + 1) & mask
        }
        let slot = hashes.count
        arena.append(contentsOf: key)
        keyStarts.append(arena.count)
        hashes.append(h)
        buckets[i] = Int32(slot + 1)
        if hashes.count * 2 > buckets.count { rehash() }
        return (slot, true)
    }

    private func equals(_ slot: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = keyStarts[slot], end = keyStarts[slot + 1]
        guard end - start == key.count else { return false }
        return arena.withUnsafeBufferPointer { stored in
            var i = 0
            while i < key.count {
                if stored[start + i] != key[i] { return false }
                i += 1
            }
            return true
        }
    }

    private mutating func rehash() {
        buckets = [Int32](repeating: 0, count: buckets.count * 2)
        let mask = buckets.count - 1
        for slot in 0..<hashes.count {
            var i = Int(truncatingIfNeeded: hashes[slot]) & mask
            while buckets[i] != 0 { i = (i + 1) & mask }
            buckets[i] = Int32(slot + 1)
        }
    }
}
