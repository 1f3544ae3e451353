import FlowCore
import Testing
@testable import SegmentStore

/// `RadixSort` and the encoder's address order against the standard library's comparison sort
/// (the plain path they replaced), on random keys of the shapes a block sorts and on edge cases.
@Suite struct RadixSortTests {
    @Test(arguments: [0, 1, 2, 256, 257, 1000, 40_000])
    func sortsAsTheStandardSortDoes(count: Int) {
        for seed in UInt64(1)...5 {
            var random = SplitMix64(seed: seed &* 31 &+ UInt64(count))
            let keys: [UInt64] = (0..<count).map { i in
                switch seed {
                case 1: return random.next()                                   // every digit varies
                case 2: return random.below(3000) << 42 | random.below(3000) << 21 | UInt64(i)   // conversation keys
                case 3: return 42                                              // all the same
                case 4: return random.below(2) << 63 | random.below(5)         // top and bottom digits only
                default: return UInt64(i) * 7 % 1001                           // few distinct, repeated
                }
            }
            var radix = keys
            RadixSort.sort(&radix)
            #expect(radix == keys.sorted(), "seed \(seed)")
        }
    }

    @Test(arguments: [0, 1, 300, 5000])
    func addressOrderIsTheComparisonOrder(count: Int) {
        var random = SplitMix64(seed: UInt64(count) &+ 9)
        func distinct(_ make: () -> IPAddress) -> [IPAddress] {
            var seen = Set<IPAddress>(), list: [IPAddress] = []
            while list.count < count {
                let a = make()
                if seen.insert(a).inserted { list.append(a) }
            }
            return list
        }
        let v4 = distinct { IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next())) }
        let narrow = distinct { IPAddress(ipv4: 0x0A00_0000 | UInt32(random.below(1 << 16))) }
        let mixed = distinct {
            random.below(4) == 0 ? IPAddress(ipv6High: random.below(3), low: random.below(1 << 40))
                                 : IPAddress(ipv4: UInt32(random.below(1 << 20)))
        }
        // IPv4 by version but with bits no IPv4 address has: the order still compares them.
        let odd = mixed.enumerated().map { i, a -> IPAddress in
            var a = a
            if i == count / 2 && a.version == .v4 { a.high = 1 }
            return a
        }
        for (name, addresses) in [("IPv4", v4), ("one /16", narrow), ("IPv4 and IPv6", mixed), ("odd IPv4", odd)] {
            let order = BlockEncoder.sortedOrder(of: addresses)
            #expect(order == addresses.indices.sorted { addresses[$0] < addresses[$1] }, "\(name)")
        }
    }
}
