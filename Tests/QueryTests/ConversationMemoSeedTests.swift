import FlowCore
import Testing
@testable import Query

/// `ConversationMemo` picks buckets with a multiplier of its own: codes (ports, protocols,
/// VLANs a sender picks) found to share a bucket under one multiplier must scatter under another.
@Suite struct ConversationMemoSeedTests {
    @Test(arguments: [(UInt64(1), UInt64(2)), (0xDEAD_BEEF, 0x0123_4567_89AB_CDEF)])
    func codesCollidingUnderOneMultiplierScatterUnderAnother(first: UInt64, second: UInt64) {
        let needs: ConversationFields = [.destinationPort, .ipProtocol, .vlan]
        // Multipliers are random draws; 1 or 3 would leave small codes in bucket 0 under both.
        var draw = SplitMix64(seed: first), drawOther = SplitMix64(seed: second)
        let one = ConversationMemo(needs: needs, multiplier: draw.next())
        let other = ConversationMemo(needs: needs, multiplier: drawOther.next())
        let mask = 1023
        var colliding: [UInt64] = []
        // Destination ports and VLANs of UDP, as the memo packs them.
        outer: for vlan in UInt64(0)..<4096 {
            for port in UInt64(0)..<65_536 {
                let code = port | 17 << 16 | vlan << 24
                if one.bucket(code, mask) == 0 {
                    colliding.append(code)
                    if colliding.count == 64 { break outer }
                }
            }
        }
        #expect(colliding.count == 64)
        let stillTogether = colliding.filter { other.bucket($0, mask) == 0 }.count
        #expect(stillTogether <= 4, "\(stillTogether) of 64 codes still share bucket 0 under another multiplier")
        #expect(ConversationMemo(needs: needs).multiplier != ConversationMemo(needs: needs).multiplier)
    }
}
