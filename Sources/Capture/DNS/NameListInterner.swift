import FlowCore

/// Equal lists of names share one `DomainNames` box, found by the names' bytes as the parser
/// read them (`DNSRawAnswers`): a list met before costs a hash of its bytes and one comparison,
/// with no string, no array and no reference count but the one handed out.
///
/// The key of a list is its names' bytes joined by a 0 byte (names hold printable ASCII only,
/// so no two lists share a key). Keys live side by side in `keys`; the table is open-addressed
/// (linear probing, at most half full) and holds entry numbers. Past `capacity` lists it starts
/// afresh, as a dictionary emptied whole would: only box identities change, never a value.
///
/// The names come from DNS answers, which whoever answers chooses: with a fixed hash, anyone
/// reading this source could serve lists that share one slot, and every later answer would
/// walk the whole run (thousands of entries at the default capacity). So the hash starts from
/// `seed`, a secret drawn for each interner, as the flow table's and the address table's do;
/// lists found to share a slot under one seed scatter under another.
struct NameListInterner {
    private struct Entry {
        var hash: UInt64
        var keyStart: Int32
        var keyCount: Int32
        var names: DomainNames
    }

    let capacity: Int
    /// Where the names' hash starts (`hash(_:seed:)`); a stored property, read with the table.
    let seed: UInt64
    private var slots: [Int32]
    private var shift: UInt64
    private var entries: [Entry] = []
    private var keys: [UInt8] = []
    /// The key being looked up (kept to spare an allocation per answer).
    private var key: [UInt8] = []

    init(capacity: Int = 1 << 14) {
        var random = SystemRandomNumberGenerator()
        self.init(capacity: capacity, seed: random.next())
    }

    /// Given seed: for tests, which compare seeds.
    init(capacity: Int, seed: UInt64) {
        self.capacity = max(1, capacity)
        self.seed = seed
        var size = 16
        while size < self.capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
        key.reserveCapacity(256)
    }

    var count: Int { entries.count }

    /// The one box for `answer`'s names.
    mutating func intern(_ answer: DNSRawAnswers.Answer, of raw: DNSRawAnswers) -> DomainNames {
        key.removeAll(keepingCapacity: true)
        for i in Int(answer.chainStart)..<Int(answer.chainEnd) {
            let name = raw.chain[i]
            if i != Int(answer.chainStart) { key.append(0) }
            key.append(contentsOf: raw.bytes[Int(name.start)..<Int(name.start + name.count)])
        }
        let hash = Self.hash(key, seed: seed)
        var slot = find(hash)
        if slots[slot] >= 0 { return entries[Int(slots[slot])].names }
        if entries.count >= capacity {
            removeAll()
            slot = find(hash)
        }
        let names = DomainNames(raw.chain[Int(answer.chainStart)..<Int(answer.chainEnd)].map { raw.text(of: $0) })
        slots[slot] = Int32(entries.count)
        entries.append(Entry(hash: hash, keyStart: Int32(keys.count), keyCount: Int32(key.count), names: names))
        keys.append(contentsOf: key)
        return names
    }

    /// The slot a list hashed to `hash` is looked for first.
    func home(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: hash >> shift) }

    /// The slot holding `key` (hashed to `hash`), else the empty slot where it would go.
    private func find(_ hash: UInt64) -> Int {
        slots.withUnsafeBufferPointer { table in
            let mask = table.count - 1
            var i = home(hash)
            while true {
                let number = table[i]
                if number < 0 { return i }
                let entry = entries[Int(number)]
                if entry.hash == hash, sameKey(at: Int(entry.keyStart), count: Int(entry.keyCount)) { return i }
                i = (i + 1) & mask
            }
        }
    }

    private func sameKey(at start: Int, count: Int) -> Bool {
        guard count == key.count else { return false }
        return keys.withUnsafeBufferPointer { stored in
            key.withUnsafeBufferPointer { wanted in
                var i = 0
                while i < count {
                    if stored[start + i] != wanted[i] { return false }
                    i += 1
                }
                return true
            }
        }
    }

    private mutating func removeAll() {
        slots.withUnsafeMutableBufferPointer { table in
            for i in table.indices { table[i] = -1 }
        }
        entries.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
    }

    /// Eight bytes at a time, each word mixed by a multiplication, from the seed; the length
    /// goes in last, so keys that differ only in trailing zero bytes differ.
    static func hash(_ bytes: [UInt8], seed: UInt64) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ seed
            var i = 0
            while i + 8 <= raw.count {
                h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
                h ^= h >> 31
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < raw.count {
                tail |= UInt64(raw[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail ^ UInt64(raw.count) << 56) &* 0x94D0_49BB_1331_11EB
            h ^= h >> 29
            return h &* 0xBF58_476D_1CE4_E5B9
        }
    }
}
