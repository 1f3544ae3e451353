import FlowCore
import Testing
@testable import SegmentStore

/// The store's tables keyed by what senders choose (addresses, ports, which pairs talk): keys
/// found to share a slot under one seed, as a sender who knew the hash would pick them, must
/// scatter under another, and each table draws its own.
@Suite struct StoreTableSeedTests {
    static let seedPairs: [(UInt64, UInt64)] = [(1, 2), (0xDEAD_BEEF, 0x0123_4567_89AB_CDEF)]
    /// 1,024 slots.
    static let shift: UInt64 = 54

    @Test(arguments: seedPairs)
    func addressesCollidingUnderOneSeedScatterUnderAnother(first: UInt64, second: UInt64) {
        let one = DenseNumbering<IPAddress>(seed: first), other = DenseNumbering<IPAddress>(seed: second)
        var rng = SplitMix64(seed: first ^ second)
        var colliding: [IPAddress] = []
        while colliding.count < 64 {
            // IPv6 addresses in one /64, as one sender's would be.
            let address = IPAddress(ipv6High: 0x2001_0DB8_0000_0001, low: rng.next())
            if one.home(of: address, shift: Self.shift) == 0 { colliding.append(address) }
        }
        let stillTogether = colliding.filter { other.home(of: $0, shift: Self.shift) == 0 }.count
        #expect(stillTogether <= 4, "\(stillTogether) of 64 addresses still share slot 0 under another seed")
        #expect(DenseNumbering<IPAddress>().seed != DenseNumbering<IPAddress>().seed)
    }

    /// A sender can build any number of IPv6 addresses with one unseeded `denseHash` (for each
    /// high word, the low word that gives it); under a seed they must not share a slot.
    @Test(arguments: [UInt64(1), 0x0123_4567_89AB_CDEF])
    func addressesBuiltToShareAnUnseededHashScatter(seed: UInt64) {
        let golden: UInt64 = 0x9E37_79B9_7F4A_7C15
        var inverse = golden
        for _ in 0..<6 { inverse = inverse &* (2 &- golden &* inverse) }
        #expect(golden &* inverse == 1)
        let target: UInt64 = 0x0123_4567_89AB_CDEF
        var rng = SplitMix64(seed: seed)
        let built = (0..<64).map { _ -> IPAddress in
            let high = rng.next()
            // mix(high, low) = (high ^ low) * golden ^ high >> 32, solved for low.
            return IPAddress(ipv6High: high, low: (target ^ high >> 32) &* inverse ^ high)
        }
        #expect(Set(built.map(\.denseHash)).count == 1, "the addresses were built to share one unseeded hash")
        let table = DenseNumbering<IPAddress>(seed: seed)
        var perSlot: [Int: Int] = [:]
        for address in built { perSlot[table.home(of: address, shift: Self.shift), default: 0] += 1 }
        let most = perSlot.values.max() ?? 0
        #expect(most <= 4, "\(most) of 64 addresses built to collide share one slot under a seed")
    }

    @Test(arguments: seedPairs)
    func portKeysCollidingUnderOneSeedScatterUnderAnother(first: UInt64, second: UInt64) {
        // Protocol and port as the folded block numbers them (`servicesMet`), TCP and UDP.
        let one = DenseNumbering<UInt64>(seed: first), other = DenseNumbering<UInt64>(seed: second)
        var colliding: [UInt64] = []
        for key in (UInt64(0)..<65_536).flatMap({ [6 << 16 | $0, 17 << 16 | $0] }) where colliding.count < 64 {
            if one.home(of: key, shift: Self.shift) == 0 { colliding.append(key) }
        }
        #expect(colliding.count == 64)
        let stillTogether = colliding.filter { other.home(of: $0, shift: Self.shift) == 0 }.count
        #expect(stillTogether <= 4, "\(stillTogether) of 64 ports still share slot 0 under another seed")
    }

    @Test(arguments: seedPairs)
    func triplesCollidingUnderOneMultiplierScatterUnderAnother(first: UInt64, second: UInt64) {
        // Multipliers are random draws; 1 or 3 would leave small keys in slot 0 under both.
        var draw = SplitMix64(seed: first), drawOther = SplitMix64(seed: second)
        let one = draw.next() | 1, other = drawOther.next() | 1
        var rng = SplitMix64(seed: first ^ second)
        var colliding: [UInt64] = []
        while colliding.count < 64 {
            // One source talking to many destinations with one outcome.
            let key = UInt64(7) << 42 | (rng.next() & 0x3F_FFFF) << 20 | 3
            if DistinctTriples.home(key, multiplier: one, shift: Self.shift) == 0 { colliding.append(key) }
        }
        let stillTogether = colliding.filter { DistinctTriples.home($0, multiplier: other, shift: Self.shift) == 0 }.count
        #expect(stillTogether <= 4, "\(stillTogether) of 64 triples still share slot 0 under another multiplier")
        // Each table draws its own, odd, when first used.
        var a = DistinctTriples(), b = DistinctTriples()
        var sources: [UInt64] = [1], destinations: [UInt64] = [2], outcomes: [UInt64] = [3], renumber: [UInt64] = []
        _ = a.compact(sources: &sources, destinations: &destinations, outcomes: &outcomes, count: 1, renumber: &renumber)
        _ = b.compact(sources: &sources, destinations: &destinations, outcomes: &outcomes, count: 1, renumber: &renumber)
        #expect(a.multiplier & 1 == 1 && b.multiplier & 1 == 1 && a.multiplier != b.multiplier)
    }
}
