@testable import Capture
import FlowCore
import Testing

/// The flow table's hash starts from a secret of each cache's (`FlowCache.hashSeed`): 5-tuples found
/// to share a slot under one seed, as a sender who knew the hash would pick them, must scatter
/// under another.
@Suite struct FlowKeyHashSeedTests {
    static func randomKey(_ rng: inout SplitMix64) -> FlowKey {
        // IPv4 pairs from one /16 to one address and port, as a flood at one service would be.
        FlowKey(aHigh: 0, aLow: 0x0A0A_0000 | rng.next() & 0xFFFF, bHigh: 0, bLow: 0x0A00_0001,
                ports: UInt32(truncatingIfNeeded: rng.next() & 0xFFFF) << 16 | 443, vlans: 0, ipProtocol: 6, ipVersion: 4)
    }

    @Test(arguments: [(UInt64(1), UInt64(2)), (0xDEAD_BEEF, 0x0123_4567_89AB_CDEF)])
    func keysCollidingUnderOneSeedScatterUnderAnother(first: UInt64, second: UInt64) {
        var rng = SplitMix64(seed: first ^ second)
        let mask: UInt64 = 1023
        var colliding: [FlowKey] = []
        while colliding.count < 64 {
            let key = Self.randomKey(&rng)
            if key.hashValue64(seed: first) & mask == 0 { colliding.append(key) }
        }
        let stillTogether = colliding.filter { $0.hashValue64(seed: second) & mask == 0 }.count
        // About 64 / 1024 expected by chance.
        #expect(stillTogether <= 4, "\(stillTogether) of 64 keys still share slot 0 under another seed")
        // Each cache draws its own seed.
        #expect(FlowCache().hashSeed != FlowCache().hashSeed)
    }
}
