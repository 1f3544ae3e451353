import FlowCore
import FlowTestSupport
import Testing
@testable import SegmentStore

@Suite struct RoundTripTests {
    @Test func everyFieldOfEdgeCaseFlowsComesBackExactly() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let flows = edgeCaseFlows()
        _ = try write(flows, to: dir.path, configuration: StoreConfiguration(blockRecords: 3))
        let (back, stats) = try readAll(dir.path)
        #expect(back == flows)
        #expect(stats.blocksTotal == 2)
        #expect(stats.corruptBlocks.isEmpty)
    }

    @Test func syntheticTrafficRoundTripsAcrossBlockAndSegmentBoundaries() throws {
        var generator = SyntheticFlowGenerator(seed: 3)
        let flows = generator.generate(20_000)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let config = StoreConfiguration(blockRecords: 1000, segmentMaxBytes: 60_000, compressionLevel: 0)
        let stats = try write(flows, to: dir.path, configuration: config, batch: 777)
        #expect(stats.flows == 20_000)
        #expect(stats.blocks == 20)
        #expect(stats.segmentsSealed > 2)
        let (back, scan) = try readAll(dir.path)
        #expect(back.count == flows.count)
        #expect(back == flows)
        #expect(scan.blocksRead == 20)
        #expect(scan.segmentsTotal == Int(stats.segmentsSealed))
    }

    @Test(arguments: [1, 9, 10, 11, 30])
    func blockBoundaries(count: Int) throws {
        var generator = SyntheticFlowGenerator(seed: UInt64(count))
        let flows = generator.generate(count)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let stats = try write(flows, to: dir.path, configuration: StoreConfiguration(blockRecords: 10), batch: 4)
        #expect(stats.blocks == UInt64((count + 9) / 10))
        let (back, _) = try readAll(dir.path)
        #expect(back == flows)
    }

    @Test func blockDigestsAnswerForTheirFlows() throws {
        var generator = SyntheticFlowGenerator(seed: 5)
        let flows = generator.generate(3000)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        _ = try write(flows, to: dir.path, configuration: StoreConfiguration(blockRecords: 500))
        let reader = try StoreReader(directory: dir.path)
        var visitor = CollectingVisitor()
        _ = try reader.scan(since: nil, until: nil, visitor: &visitor)
        #expect(visitor.digests.count == 6)
        for (i, digest) in visitor.digests.enumerated() {
            var expected = BlockDigest()
            for flow in flows[(i * 500)..<((i + 1) * 500)] { expected.insert(flow) }
            expected.seal()
            #expect(digest == expected)
            #expect(!digest.bloomWords.isEmpty)
        }
    }

    /// The writer builds digests from a block's distinct values (`DigestSummary`); edge cases
    /// (mixed IP versions in one flow, no annotation, several nodes, low source ports) must give
    /// the digest of every flow inserted.
    @Test func blockDigestsOfEdgeCasesEqualThoseOfEveryFlow() throws {
        var generator = SyntheticFlowGenerator(seed: 6)
        var flows = generator.generate(700)
        for (i, edge) in edgeCaseFlows().enumerated() { flows.insert(edge, at: 100 * i + 7) }
        for i in stride(from: 3, to: flows.count, by: 11) {
            flows[i].node = "node-\(i % 5)"
            flows[i].flow.sourcePort = UInt16(i % 1500)
        }
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        _ = try write(flows, to: dir.path, configuration: StoreConfiguration(blockRecords: 176))
        var visitor = CollectingVisitor()
        _ = try StoreReader(directory: dir.path).scan(since: nil, until: nil, visitor: &visitor)
        #expect(visitor.digests.count == (flows.count + 175) / 176)
        for (i, digest) in visitor.digests.enumerated() {
            var expected = BlockDigest()
            for flow in flows[(i * 176)..<min(flows.count, (i + 1) * 176)] { expected.insert(flow) }
            expected.seal()
            #expect(digest == expected, "block \(i)")
        }
    }

    @Test func timeRangeReturnsExactlyTheOverlappingFlowsAndSkipsBlocks() throws {
        var generator = SyntheticFlowGenerator(seed: 11, flowsPerSecond: 100)
        let flows = generator.generate(10_000)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        _ = try write(flows, to: dir.path, configuration: StoreConfiguration(blockRecords: 250, segmentMaxBytes: 40_000))
        let since = flows[4000].flow.end, until = flows[5000].flow.end
        let (back, stats) = try readAll(dir.path, since: since, until: until)
        let expected = flows.filter { $0.flow.start < until && $0.flow.end >= since }
        #expect(back == expected)
        #expect(stats.blocksRead + stats.blocksSkipped == stats.blocksTotal)
        #expect(stats.blocksRead <= 6)
        #expect(stats.segmentsSkipped > 0)
    }

    @Test func visitorCanSkipBlocksAndStop() throws {
        var generator = SyntheticFlowGenerator(seed: 12)
        let flows = generator.generate(2000)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        _ = try write(flows, to: dir.path, configuration: StoreConfiguration(blockRecords: 100))
        let reader = try StoreReader(directory: dir.path)
        var skipping = CollectingVisitor()
        var counter = 0
        skipping.accept = { _ in
            counter += 1
            return counter % 2 == 1
        }
        let stats = try reader.scan(since: nil, until: nil, visitor: &skipping)
        #expect(stats.blocksRead == 10 && stats.blocksSkipped == 10)
        var expected: [AnnotatedFlow] = []
        for block in stride(from: 0, to: 20, by: 2) { expected += flows[(block * 100)..<((block + 1) * 100)] }
        #expect(skipping.flows == expected)

        var stopping = CollectingVisitor()
        stopping.stopAfter = 150
        let stopped = try reader.scan(since: nil, until: nil, visitor: &stopping)
        #expect(stopping.flows == Array(flows[0..<150]))
        #expect(stopped.blocksRead == 2)
        #expect(stopped.flowsVisited == 150)
    }

    @Test func generatorIsDeterministicPerSeed() {
        var a = SyntheticFlowGenerator(seed: 9), b = SyntheticFlowGenerator(seed: 9), c = SyntheticFlowGenerator(seed: 10)
        let x = a.generate(500), y = b.generate(500), z = c.generate(500)
        #expect(x == y)
        #expect(x != z)
        let annotated = x.filter { $0.annotation != nil }
        #expect(annotated.count > 450)
        #expect(Set(annotated.map { $0.annotation!.source.namespace }).count > 10)
        #expect(x.contains { $0.annotation?.verdict == .deny })
        #expect(x.contains { $0.annotation?.destination.kind == .network })
    }
}
