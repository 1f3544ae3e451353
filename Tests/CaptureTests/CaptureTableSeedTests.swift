@testable import Capture
import FlowCore
import Testing

/// The capture's tables keyed by what senders choose, besides the flow table
/// (`FlowKeyHashSeedTests`) and the DNS address table (`DNSAddressTableTests`): keys found to
/// share a slot under one seed, as a sender who knew the hash would pick them, must scatter
/// under another, and each table draws its own seeds.
@Suite struct CaptureTableSeedTests {
    /// A DNS name list's key as `NameListInterner` builds it: names of printable ASCII joined by 0.
    static func randomNameList(_ rng: inout SplitMix64) -> [UInt8] {
        var key: [UInt8] = []
        for name in 0..<Int(1 + rng.next() % 3) {
            if name > 0 { key.append(0) }
            for _ in 0..<Int(3 + rng.next() % 20) { key.append(UInt8(0x61 + rng.next() % 26)) }
            key.append(contentsOf: Array(".example".utf8))
        }
        return key
    }

    @Test(arguments: [(UInt64(1), UInt64(2)), (0xDEAD_BEEF, 0x0123_4567_89AB_CDEF)])
    func nameListsCollidingUnderOneSeedScatterUnderAnother(first: UInt64, second: UInt64) {
        // 512 lists: a table of 1,024 slots.
        let one = NameListInterner(capacity: 512, seed: first), other = NameListInterner(capacity: 512, seed: second)
        var rng = SplitMix64(seed: first ^ second)
        var colliding: [[UInt8]] = []
        while colliding.count < 64 {
            let key = Self.randomNameList(&rng)
            if one.home(NameListInterner.hash(key, seed: one.seed)) == 0 { colliding.append(key) }
        }
        let stillTogether = colliding.filter { other.home(NameListInterner.hash($0, seed: other.seed)) == 0 }.count
        // About 64 / 1024 expected by chance.
        #expect(stillTogether <= 4, "\(stillTogether) of 64 name lists still share slot 0 under another seed")
        #expect(NameListInterner().seed != NameListInterner().seed)
    }

    static func randomFragment(_ rng: inout SplitMix64) -> DecodedPacket {
        // Fragments from one /16 to one server, as an aimed flood would be.
        var p = DecodedPacket()
        p.sourceLow = 0x0A0A_0000 | rng.next() & 0xFFFF
        p.destinationLow = 0x0A00_0001
        p.fragmentID = UInt32(truncatingIfNeeded: rng.next() & 0xFFFF)
        p.ipProtocol = 17
        return p
    }

    @Test(arguments: [(UInt64(1), UInt64(2)), (0xDEAD_BEEF, 0x0123_4567_89AB_CDEF)])
    func fragmentsCollidingUnderOneSeedScatterUnderAnother(first: UInt64, second: UInt64) {
        func seeds(_ seed: UInt64) -> [UInt64] {
            var rng = SplitMix64(seed: seed)
            return (0..<10).map { _ in rng.next() }
        }
        let one = FragmentTable(size: 1024, seeds: seeds(first)), other = FragmentTable(size: 1024, seeds: seeds(second))
        var rng = SplitMix64(seed: first ^ second)
        var colliding: [DecodedPacket] = []
        while colliding.count < 64 {
            let fragment = Self.randomFragment(&rng)
            if one.slotIndex(fragment) == 0 { colliding.append(fragment) }
        }
        let stillTogether = colliding.filter { other.slotIndex($0) == 0 }.count
        #expect(stillTogether <= 4, "\(stillTogether) of 64 fragments still share slot 0 under other seeds")
        #expect(FragmentTable().seeds != FragmentTable().seeds)
    }
}
