import FlowCore
import Testing
@testable import Policy

/// The engine's flat key table against a `Dictionary` doing the same numbering.
@Suite struct KeyNumberingTests {
    /// Decision keys between IPv4 addresses hold the addresses and ports off the wire: keys
    /// found to share a home slot under one table's seed must scatter under another's, and the
    /// table still numbers them all.
    @Test func keysCollidingUnderOneSeedScatterUnderAnother() {
        var rng = SplitMix64(seed: 0xF100D)
        let first = KeyNumbering(minimumCapacity: 512, seed: 7)
        var second = KeyNumbering(minimumCapacity: 512, seed: 0x5EED_5EED_5EED)
        var colliding: [KeyNumbering.Key] = []
        while colliding.count < 64 {
            let key = KeyNumbering.Key(a: 0x0A0A_0000_0A00_0001 | rng.next() & 0xFFFF_0000_0000, b: rng.next() & 0xFFFF_FFFF, c: 0)
            if first.home(key) == 0 { colliding.append(key) }
        }
        let stillTogether = colliding.filter { second.home($0) == 0 }.count
        #expect(stillTogether <= 4, "\(stillTogether) of 64 keys still share a home slot under another seed")
        for (number, key) in colliding.enumerated() { #expect(second.insert(key) == number) }
        for (number, key) in colliding.enumerated() { #expect(second.number(of: key) == number) }
    }

    @Test func numbersKeysAsADictionaryWould() {
        var rng = SplitMix64(seed: 0x5EED)
        var table = KeyNumbering(minimumCapacity: 1)
        var reference: [String: Int] = [:]
        func name(_ k: KeyNumbering.Key) -> String { "\(k.a)/\(k.b)/\(k.c)" }
        for round in 0..<40_000 {
            // Small values collide often (few distinct), large ones spread; zero keys included.
            let narrow = rng.next() % 3 == 0
            let key = KeyNumbering.Key(a: narrow ? rng.next() % 8 : rng.next(), b: narrow ? rng.next() % 4 : rng.next() % 1_000,
                                       c: UInt32(truncatingIfNeeded: narrow ? rng.next() % 2 : rng.next()))
            let want = reference[name(key)]
            #expect(table.number(of: key) == want)
            if want == nil {
                let number = table.insert(key)
                #expect(number == reference.count)
                reference[name(key)] = number
            }
            #expect(table.count == reference.count)
            if round == 25_000 {
                table.removeAll()
                reference.removeAll()
                #expect(table.number(of: key) == nil)
            }
        }
        for (text, number) in reference {
            let parts = text.split(separator: "/").map { UInt64($0)! }
            #expect(table.number(of: KeyNumbering.Key(a: parts[0], b: parts[1], c: UInt32(parts[2]))) == number)
        }
    }
}
