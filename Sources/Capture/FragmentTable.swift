/// Remembers the ports of recent first fragments so that later fragments of the same packet
/// (which carry no transport header) count towards the right flow.
///
/// A fixed direct-mapped table, allocated once: a first fragment takes the slot its
/// (addresses, protocol, identification) hash to, replacing whatever was there; a later
/// fragment finds its ports there if the first fragment came before it and within the
/// reassembly window. Later fragments that find nothing (the first one was lost, arrived
/// later, or was overwritten) are keyed with ports 0, as a flow of their own between the same
/// two hosts. No reassembly is done and fragments are never held back.
///
/// Senders choose the fields hashed, so the slot comes from ten secret 64-bit seeds drawn for
/// each table: pair-multiply-shift over the key's 32-bit halves (M. Thorup, "High Speed Hashing
/// for Integers and Strings", 2015), under which two distinct keys share a slot with probability
/// about 1/slots over the draw. With a fixed hash, anyone reading this source could aim one first
/// fragment at the slot another host's fragments take and have those counted as a flow without
/// ports (a sender flooding every slot can still do that, but no longer with one packet).
struct FragmentTable {
    struct Slot {
        var sourceHigh: UInt64 = 0, sourceLow: UInt64 = 0
        var destinationHigh: UInt64 = 0, destinationLow: UInt64 = 0
        var identification: UInt32 = 0
        var ipProtocol: UInt8 = 0
        var used = false
        var sourcePort: UInt16 = 0, destinationPort: UInt16 = 0
        var time: UInt64 = 0
    }

    private var slots: [Slot]
    /// Ten seeds, one per 32-bit half of the key; a stored property, read with the table.
    let seeds: [UInt64]
    private let shift: UInt64
    /// How long a first fragment's ports stay usable (Linux's default ipfrag_time is 30 s).
    let windowNanoseconds: UInt64 = 30_000_000_000

    init(size: Int = 4096) {
        var random = SystemRandomNumberGenerator()
        self.init(size: size, seeds: (0..<10).map { _ in random.next() })
    }

    /// Given seeds (ten): for tests, which compare seeds.
    init(size: Int, seeds: [UInt64]) {
        precondition(seeds.count == 10)
        self.seeds = seeds
        var n = 2
        while n < size { n <<= 1 }
        slots = Array(repeating: Slot(), count: n)
        shift = UInt64(64 - n.trailingZeroBitCount)
    }

    /// The slot of a fragment's (addresses, protocol, identification): the top bits of
    /// Σ (half₂ᵢ + seed₂ᵢ)(half₂ᵢ₊₁ + seed₂ᵢ₊₁) mod 2⁶⁴ over the key's ten 32-bit halves.
    func slotIndex(_ p: DecodedPacket) -> Int {
        @inline(__always) func pair(_ word: UInt64, _ i: Int) -> UInt64 {
            (word & 0xFFFF_FFFF &+ seeds[i]) &* (word >> 32 &+ seeds[i + 1])
        }
        let h = pair(p.sourceLow, 0) &+ pair(p.sourceHigh, 2) &+ pair(p.destinationLow, 4) &+ pair(p.destinationHigh, 6)
            &+ pair(UInt64(p.fragmentID) << 8 | UInt64(p.ipProtocol), 8)
        return Int(truncatingIfNeeded: h >> shift)
    }

    mutating func rememberFirstFragment(_ p: DecodedPacket, time: UInt64) {
        slots[slotIndex(p)] = Slot(sourceHigh: p.sourceHigh, sourceLow: p.sourceLow,
                                   destinationHigh: p.destinationHigh, destinationLow: p.destinationLow,
                                   identification: p.fragmentID, ipProtocol: p.ipProtocol, used: true,
                                   sourcePort: p.sourcePort, destinationPort: p.destinationPort, time: time)
    }

    /// Fills in the ports of a later fragment when its first fragment was seen; returns whether it did.
    func completeLaterFragment(_ p: inout DecodedPacket, time: UInt64) -> Bool {
        let s = slots[slotIndex(p)]
        guard s.used, s.identification == p.fragmentID, s.ipProtocol == p.ipProtocol,
              s.sourceLow == p.sourceLow, s.destinationLow == p.destinationLow,
              s.sourceHigh == p.sourceHigh, s.destinationHigh == p.destinationHigh,
              time >= s.time ? time - s.time <= windowNanoseconds : true else { return false }
        p.sourcePort = s.sourcePort
        p.destinationPort = s.destinationPort
        return true
    }
}
