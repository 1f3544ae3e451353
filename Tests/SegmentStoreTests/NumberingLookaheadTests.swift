import FlowCore
import FlowTestSupport
import Testing
@testable import SegmentStore

/// The numbering stage's lookahead (`BlockEncoder+Lookahead`) only reads and prefetches: blocks
/// numbered through `add(contentsOf:)`, which runs it, must come out byte for byte as blocks of
/// the same rows added one at a time, which does not.
@Suite struct NumberingLookaheadTests {
    @Test func blocksNumberedWithTheLookaheadAreTheBlocksWithout() throws {
        var random = SplitMix64(seed: 0x100C_A4EA)
        func pick(_ n: Int) -> Int { Int(random.below(UInt64(n))) }
        for round in 0..<12 {
            var generator = SyntheticFlowGenerator(seed: UInt64(900 + round), pods: 10 + pick(200), namespaces: 1 + pick(20))
            let original = generator.generate(2_000 + pick(4_000))
            // Numbered annotations (the policy engine's kind) in spaces that switch back and
            // forth, some without numbers or without an annotation at all; IPv6 ends, names,
            // rows repeated so that blocks meet their parts again.
            var producer = NumberedAnnotationTests.Producer(flows: original, spaceCount: 1 + pick(3), random: &random)
            var space = 0
            var rows: [AnnotatedFlow] = []
            for flow in original {
                if pick(300) == 0 { space = pick(producer.spaces.count) }
                var row = flow
                if let a = flow.annotation {
                    switch pick(20) {
                    case 0: row.annotation = nil
                    case 1: row.annotation = producer.numbered(a, space: nil, oversized: false, &random)
                    default: row.annotation = producer.numbered(a, space: space, oversized: pick(100) == 0, &random)
                    }
                }
                if pick(8) == 0 {
                    row.flow.destinationAddress = IPAddress(ipv6High: 0x2001_0DB8 << 32 | UInt64(pick(4)), low: UInt64(pick(64)))
                }
                if pick(6) == 0 { row.destinationDomains = DomainNames(["host-\(pick(40)).example", "cdn.example"]) }
                rows.append(row)
                if pick(5) == 0 { rows.append(rows[pick(rows.count)]) }
            }
            let formatVersion = [SegmentFormat.segmentDictionaryVersion, SegmentFormat.version][pick(2)]
            let entryLimit = [16, 256, EncoderCatalog.defaultEntryLimit][pick(3)]
            var ahead = BlockCodec(level: 0, formatVersion: formatVersion, catalogEntryLimit: entryLimit)
            var plain = BlockCodec(level: 0, formatVersion: formatVersion, catalogEntryLimit: entryLimit)
            var start = 0, block = 0
            while start < rows.count {
                // Blocks shorter and longer than the lookahead's distances.
                let size = min(rows.count - start, [1, 3, 7, 9, 200, 1_500][pick(6)])
                rows[start..<(start + size)].withUnsafeBufferPointer { ahead.add(contentsOf: $0) }
                for row in rows[start..<(start + size)] { plain.add(row) }
                let numbered = try ahead.finishRaw(), expected = try plain.finishRaw()
                #expect(numbered.payload == expected.payload, "round \(round), block \(block): payload")
                #expect(numbered.dictionary == expected.dictionary, "round \(round), block \(block): dictionary record")
                #expect(numbered.digest == expected.digest, "round \(round), block \(block): digest")
                start += size
                block += 1
            }
        }
    }

    /// The stages alone, run on rows the block has and has not met, number nothing.
    @Test func theStagesNumberNothing() {
        var generator = SyntheticFlowGenerator(seed: 77, pods: 50, namespaces: 5)
        var random = SplitMix64(seed: 78)
        let flows = generator.generate(3_000)
        var producer = NumberedAnnotationTests.Producer(flows: flows, spaceCount: 1, random: &random)
        let rows = flows.map { flow -> AnnotatedFlow in
            var row = flow
            row.annotation = flow.annotation.map { producer.numbered($0, space: 0, oversized: false, &random) }
            return row
        }
        var encoder = BlockEncoder()
        for row in rows[..<1_500] { encoder.add(row) }
        func counts(_ e: BlockEncoder) -> [Int] {
            [e.count, e.content.addresses.count, e.content.annotations.count, e.content.conversations.count,
             e.blockIdentities.count, e.blockStrings.count, e.blockTraces.count]
        }
        let before = counts(encoder)
        var keyed = 0
        rows.withUnsafeBufferPointer { stored in
            for i in stored.indices {
                encoder.prefetch(row: stored.baseAddress! + i, annotationOffset: BlockEncoder.annotationOffset)
                encoder.prefetchFound(row: stored.baseAddress! + i)
                encoder.prefetchKeyed(row: stored.baseAddress! + i)
                if let key = encoder.existingAnnotationKey(stored.baseAddress! + i) {
                    keyed += 1
                    // A key worked out ahead is the key the row is numbered by.
                    #expect(encoder.content.annotations.existingNumber(of: key) != nil || i >= 1_500)
                }
            }
        }
        #expect(counts(encoder) == before)
        #expect(keyed >= 1_000, "most rows met before have their key worked out ahead")
    }

    /// The lookahead reads a stored optional annotation's word as its box's address.
    @Test func annotationOffsetIsTheStoredBox() {
        let annotation = FlowAnnotation(source: EndpointIdentity(kind: .network, aggregatedName: "pvt"),
                                        destination: EndpointIdentity(kind: .network, aggregatedName: "pub"), verdict: .allow)
        let rows = [AnnotatedFlow(flow: FlowRecord(sourceAddress: IPAddress(ipv4: 1), destinationAddress: IPAddress(ipv4: 2),
                                                   ipProtocol: .udp, start: .zero, end: .zero), annotation: annotation),
                    AnnotatedFlow(flow: FlowRecord(sourceAddress: IPAddress(ipv4: 1), destinationAddress: IPAddress(ipv4: 2),
                                                   ipProtocol: .udp, start: .zero, end: .zero), annotation: nil)]
        rows.withUnsafeBufferPointer { stored in
            let word = UnsafeRawPointer(stored.baseAddress!).load(fromByteOffset: BlockEncoder.annotationOffset, as: UInt.self)
            #expect(word == UInt(bitPattern: annotation.storageIdentity))
            let none = UnsafeRawPointer(stored.baseAddress! + 1).load(fromByteOffset: BlockEncoder.annotationOffset, as: UInt.self)
            #expect(none == 0)
        }
    }
}
