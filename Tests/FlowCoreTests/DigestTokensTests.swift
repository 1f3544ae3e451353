import Testing
@testable import FlowCore

/// `DigestTokens` (the flat token table a digest collects into) against `Set<UInt64>`, which it
/// replaced: the same members, and a sealed digest whose Bloom filter is bit for bit the one
/// built from a `Set` of the same tokens.
@Suite struct DigestTokensTests {
    /// Random draws: fully random tokens, a narrow range (many repeats), tokens equal but for
    /// their low bits (alike slots after mixing are not guaranteed, but probing runs are long), and 0.
    static func tokens(count: Int, seed: UInt64) -> [UInt64] {
        var random = SplitMix64(seed: seed)
        var tokens: [UInt64] = []
        for _ in 0..<count {
            switch random.next() % 5 {
            case 0: tokens.append(random.next() % 40)
            case 1: tokens.append(0x5555_0000_0000_0000 | random.next() % 300)
            case 2: tokens.append(FNV1a.finish(random.next() % 1000))
            default: tokens.append(random.next())
            }
        }
        return tokens
    }

    @Test(arguments: [0, 1, 2, 31, 32, 33, 64, 1000, 30_000])
    func holdsWhatASetHolds(count: Int) {
        for seed in UInt64(1)...4 {
            let drawn = Self.tokens(count: count, seed: seed &* 7919 &+ UInt64(count))
            var tokens = DigestTokens(), reference = Set<UInt64>()
            for token in drawn {
                tokens.insert(token)
                reference.insert(token)
                #expect(tokens.count == reference.count)
            }
            #expect(tokens.isEmpty == reference.isEmpty)
            #expect(Array(tokens).count == reference.count)
            #expect(Set(tokens) == reference)
            for token in drawn { #expect(tokens.contains(token)) }
            var random = SplitMix64(seed: seed)
            for _ in 0..<200 {
                let probe = random.next() % 3 == 0 ? random.next() % 50 : random.next()
                #expect(tokens.contains(probe) == reference.contains(probe))
            }
        }
    }

    @Test func equalityIgnoresOrderAndRepeats() {
        let drawn = Self.tokens(count: 5000, seed: 3)
        var forward = DigestTokens(), backward = DigestTokens()
        for token in drawn { forward.insert(token) }
        for token in drawn.reversed() + drawn.prefix(100) { backward.insert(token) }
        #expect(forward == backward)
        var more = backward
        more.insert(drawn.max()! &+ 1)
        #expect(more != forward)
        #expect(DigestTokens() == DigestTokens())
        var zero = DigestTokens()
        zero.insert(0)
        #expect(zero != DigestTokens() && zero.count == 1 && zero.contains(0))
    }

    /// The sealed filter equals one built the way a `Set` of the tokens was sealed: size from
    /// the distinct count, seven bits per token by double hashing.
    @Test(arguments: [0, 1, 7, 500, 12_000])
    func sealedFilterEqualsTheOneBuiltFromASet(count: Int) {
        let drawn = Self.tokens(count: count, seed: 11 &+ UInt64(count))
        var digest = BlockDigest()
        digest.include(flows: 1, minStart: .zero, maxEnd: .zero)
        for token in drawn { digest.include(token: token) }
        let unsealed = digest
        digest.seal()
        let distinct = Set(drawn)
        let bits = max(64, (max(distinct.count, 1) * 10 + 63) / 64 * 64)
        var words = [UInt64](repeating: 0, count: bits / 64)
        for token in distinct {
            let h2 = (token >> 32) | (token << 32) | 1
            for i in 0..<UInt64(7) {
                let bit = (token &+ i &* h2) % UInt64(bits)
                words[Int(bit >> 6)] |= 1 << (bit & 63)
            }
        }
        #expect(digest.bloomWords == words)
        #expect(digest.bloomHashCount == 7)
        for token in distinct {
            #expect(unsealed.mayContain(token: token))
            #expect(digest.mayContain(token: token))
        }
    }
}
