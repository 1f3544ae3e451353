import FlowCore
import FlowTestSupport
import Testing
@testable import SegmentStore

/// A lane lays block after block out in the buffers it keeps (`BlockLayout`: record columns,
/// residuals, the raw payload), so that no block faults fresh pages in. What a block leaves in them must never reach the next one: the same
/// blocks laid out and compressed with buffers kept from block to block and with fresh buffers
/// for each must give the same bytes and digests.
@Suite struct LayoutReuseTests {
    @Test func keptBuffersLayOutWhatFreshOnesDo() throws {
        var random = SplitMix64(seed: 0x1A_7E0F)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        var keptLayout = BlockLayout()
        var keptCompressor = BlockCompressor(level: 9)
        var blocks = 0
        for round in 0..<16 {
            let version = [SegmentFormat.domainsVersion, SegmentFormat.segmentDictionaryVersion, SegmentFormat.version][round % 3]
            var encoder = BlockEncoder(catalogEntryLimit: [8, EncoderCatalog.defaultEntryLimit][round % 2], formatVersion: version)
            var generator = SyntheticFlowGenerator(seed: UInt64(300 + round), pods: 5 + pick(500), namespaces: 1 + pick(40))
            for block in 0..<4 {
                // Blocks that grow and shrink, so kept columns are longer and shorter than the next.
                let rows = [1, 2 + pick(60), 100 + pick(4_000), 1 + pick(900)][pick(4)]
                var flows = generator.generate(rows)
                for i in flows.indices where pick(8) == 0 {
                    flows[i].flow.bytesOut = random.next() >> UInt64(pick(64))
                    flows[i].flow.packetsIn = random.next() >> UInt64(pick(64))
                    flows[i].flow.end = Timestamp(nanoseconds: random.next() >> UInt64(pick(64)))
                }
                if block == 0 || pick(2) == 0 { encoder.startSegment() }
                for flow in flows { encoder.add(flow) }
                let numbered = encoder.close()
                let entries = numbered.dictionary
                let endsSegment = pick(2) == 0

                var freshLayout = BlockLayout()
                var freshCompressor = BlockCompressor(level: 9)
                let fresh = try BlockCodec.raw(of: numbered, dictionary: entries, endsSegment: endsSegment, layout: &freshLayout)
                let freshBytes = try freshCompressor.assemble(fresh)

                let kept = try BlockCodec.raw(of: numbered, dictionary: entries, endsSegment: endsSegment, layout: &keptLayout)
                let keptBytes = try keptCompressor.assemble(kept)

                // Compared first, so a failure names the block rather than printing both payloads.
                let samePayload = kept.payload == fresh.payload, sameDigest = kept.digest == fresh.digest
                let sameBytes = keptBytes.bytes == freshBytes.bytes && keptBytes.blockStart == freshBytes.blockStart
                #expect(samePayload, "round \(round) block \(block): payloads differ")
                #expect(sameDigest, "round \(round) block \(block): digests differ")
                #expect(sameBytes, "round \(round) block \(block): stored bytes differ")
                // As a lane does: the payload's storage goes back for the next block.
                keptLayout.keepPayload(kept.payload)
                blocks += 1
            }
        }
        #expect(blocks == 64)
    }
}
