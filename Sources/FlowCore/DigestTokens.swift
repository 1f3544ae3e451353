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
///
/// The tokens are a fixed function of what a block holds (addresses, ports, names), most of it
/// chosen by senders, so the multiplier that picks a slot is not a constant anyone could read
/// here but a random odd number drawn for each set: multiply-shift hashing, under which two
/// distinct tokens share a slot with probability at most 2/slots over the draw (Dietzfelbinger,
/// Hagerup, Katajainen and Penttonen, "A reliable randomized algorithm for the closest-pair
/// problem", J. Algorithms 25, 1997). A fixed multiplier would let a sender pick addresses
/// whose tokens share one slot and make each insert walk the whole run.
struct DigestTokens: Equatable, Sendable, Sequence {
    private var slots: [UInt64] = []
    /// Odd; drawn when the first token arrives (digests read back from a segment hold none and
    /// never need one); a stored property, read with the table.
    private(set) var multiplier: UInt64 = 0
    /// 64 − log2(slots.count): the multiplied token's top bits pick the slot.
    private var shift: UInt64 = 64
    private var holdsZero = false
    /// Distinct tokens held, the token 0 included.
    private(set) var count = 0

    init() {}

    /// Given multiplier (made odd): for tests, which compare multipliers.
    init(multiplier: UInt64) {
        self.multiplier = multiplier | 1
    }

    var isEmpty: Bool { count == 0 }

    /// The slot `token` is looked for first.
    @inline(__always)
    private func home(_ token: UInt64) -> Int { Self.home(token, multiplier: multiplier, shift: shift) }

    /// The slot `token` is looked for first in a table of `2^(64 - shift)` slots.
    @inline(__always)
    static func home(_ token: UInt64, multiplier: UInt64, shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (token &* multiplier) >> shift)
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
        if multiplier == 0 {
            var random = SystemRandomNumberGenerator()
            multiplier = random.next() | 1
        }
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
