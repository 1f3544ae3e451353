/// The distinct Bloom tokens a `BlockDigest` collects before it is sealed.
///
/// A `Set<UInt64>` hashed every token again with SipHash and probed through its bitmap, about
/// 175 instructions an insert; a store block's digest takes over a hundred thousand inserts
/// (every distinct address's prefixes, every conversation's port, every identity's and trace's
/// names). Tokens are already well mixed (`FNV1a.finish`), so one multiplication picks a slot:
/// linear probing in one flat array of tokens, at most half full, 0 marking an empty slot (the
/// token 0 itself is kept aside). Which tokens it holds is all a sealed digest depends on: the
/// Bloom bits are an OR over them and the filter's size comes from their count, so the order a
/// set hands them back in changes nothing.
struct DigestTokens: Equatable, Sendable, Sequence {
    private var slots: [UInt64] = []
    /// 64 − log2(slots.count): the multiplied token's top bits pick the slot.
    private var shift: UInt64 = 64
    private var holdsZero = false
    /// Distinct tokens held, the token 0 included.
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    @inline(__always)
    private func home(_ token: UInt64) -> Int {
        Int(truncatingIfNeeded: (token &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// Adds `token` unless it is held already.
    @inline(__always)
    mutating func insert(_ token: UInt64) {
        if token == 0 {
            if !holdsZero {
                holdsZero = true
                count += 1
            }
            return
        }
        if (count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var i = home(token)
        while true {
            let held = slots[i]
            if held == token { return }
            if held == 0 { break }
            i = (i + 1) & mask
        }
        slots[i] = token
        count += 1
    }

    func contains(_ token: UInt64) -> Bool {
        if token == 0 { return holdsZero }
        guard !slots.isEmpty else { return false }
        let mask = slots.count - 1
        var i = home(token)
        while true {
            let held = slots[i]
            if held == token { return true }
            if held == 0 { return false }
            i = (i + 1) & mask
        }
    }

    /// Doubles the table (64 slots at first) and places every token again.
    private mutating func grow() {
        let old = slots
        let size = Swift.max(64, old.count * 2)
        slots = [UInt64](repeating: 0, count: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
        let mask = size - 1
        for token in old where token != 0 {
            var i = home(token)
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = token
        }
    }

    static func == (l: DigestTokens, r: DigestTokens) -> Bool {
        guard l.count == r.count && l.holdsZero == r.holdsZero else { return false }
        return l.slots.allSatisfy { $0 == 0 || r.contains($0) }
    }

    struct Iterator: IteratorProtocol {
        fileprivate let slots: [UInt64]
        fileprivate var position = 0
        fileprivate var zeroLeft: Bool

        mutating func next() -> UInt64? {
            if zeroLeft {
                zeroLeft = false
                return 0
            }
            while position < slots.count {
                let token = slots[position]
                position += 1
                if token != 0 { return token }
            }
            return nil
        }
    }

    func makeIterator() -> Iterator { Iterator(slots: slots, zeroLeft: holdsZero) }
}
