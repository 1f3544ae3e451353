import Testing
@testable import FlowCore

/// `DigestTokens` picks slots with a multiplier of its own: tokens found to share a slot under
/// one multiplier, as a sender who knew it would pick them, must scatter under another.
@Suite struct DigestTokensSeedTests {
    @Test(arguments: [(UInt64(1), UInt64(2)), (0xDEAD_BEEF, 0x0123_4567_89AB_CDEF)])
    func tokensCollidingUnderOneMultiplierScatterUnderAnother(first: UInt64, second: UInt64) {
        // Multipliers are random draws; 1 or 3 would leave small tokens in slot 0 under both.
        var draw = SplitMix64(seed: first), drawOther = SplitMix64(seed: second)
        let one = DigestTokens(multiplier: draw.next()), other = DigestTokens(multiplier: drawOther.next())
        var rng = SplitMix64(seed: first ^ second)
        var colliding: [UInt64] = []
        while colliding.count < 64 {
            // The tokens of addresses a sender picks: FNV-1a of their bytes, finished.
            var h = FNV1a.start
            h = FNV1a.mix(h, bigEndian: 0x2001_0DB8_0000_0001)
            h = FNV1a.mix(h, bigEndian: rng.next())
            let token = FNV1a.finish(h)
            if one.homeIn1024(token) == 0 { colliding.append(token) }
        }
        let stillTogether = colliding.filter { other.homeIn1024($0) == 0 }.count
        #expect(stillTogether <= 4, "\(stillTogether) of 64 tokens still share slot 0 under another multiplier")
        // Each set draws its own, odd, with its first token.
        var a = DigestTokens(), b = DigestTokens()
        a.insert(1)
        b.insert(1)
        #expect(a.multiplier & 1 == 1 && b.multiplier & 1 == 1 && a.multiplier != b.multiplier)
    }
}

extension DigestTokens {
    /// `home` in a table of 1,024 slots.
    func homeIn1024(_ token: UInt64) -> Int { Self.home(token, multiplier: multiplier, shift: 54) }
}
