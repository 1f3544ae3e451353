/// Remembers the ports of recent first fragments so that later fragments of the same packet
/// (which carry no transport header) count towards the right flow.
///
/// A fixed direct-mapped table, allocated once: a first fragment takes the slot its
/// (addresses, protocol, identification) hash to, replacing whatever was there; a later
/// fragment finds its ports there if the first fragment came before it and within the
/// reassembly window. Later fragments that find nothing (the first one was lost, arrived
/// later, or was overwritten) are keyed with ports 0, as a flow of their own between the same
/// two hosts. No reassembly is done and fragments are never held back.
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
    private let mask: Int
    /// How long a first fragment's ports stay usable (Linux's default ipfrag_time is 30 s).
    let windowNanoseconds: UInt64 = 30_000_000_000

    init(size: Int = 4096) {
        var n = 1
        while n < size { n <<= 1 }
        slots = Array(repeating: Slot(), count: n)
        mask = n - 1
    }

    private func slotIndex(_ p: DecodedPacket) -> Int {
        var h = p.sourceLow &* 0x9E37_79B9_7F4A_7C15 ^ p.destinationLow
        h = (h ^ p.sourceHigh ^ p.destinationHigh &* 31) &* 0xBF58_476D_1CE4_E5B9
        h ^= UInt64(p.fragmentID) << 8 | UInt64(p.ipProtocol)
        h = (h ^ (h >> 31)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
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
