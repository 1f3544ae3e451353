import FlowCore
import FlowTestSupport
import Testing
@testable import SegmentStore

/// Adds every sum it is handed, per conversation (its fields with annotation and node).
struct SummingVisitor: ConversationVisitor {
    var needsAnnotations = true
    var flows: UInt64 = 0
    var packets: UInt64 = 0
    var bytes: UInt64 = 0
    var blocks = 0

    mutating func shouldRead(block digest: BlockDigest) -> Bool { true }

    mutating func visit(_ block: ConversationSums) {
        blocks += 1
        for i in 0..<block.count {
            let conversation = block.conversation(i)
            #expect(conversation.flow == block.sum(i))
            if !needsAnnotations { #expect(conversation.annotation == nil && conversation.node.isEmpty) }
            flows += block.flows(i)
            packets += block.sum(i).packets
            bytes += block.sum(i).bytes
        }
    }
}

@Suite struct ConversationScanTests {
    @Test(arguments: [1, 2, 3, 5])
    func everyBlockIsSummedOnceWhateverTheThreads(_ threads: Int) throws {
        var generator = SyntheticFlowGenerator(seed: 12)
        let flows = generator.generate(2345)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        // Small blocks and segments: several segments, the last one open.
        _ = try write(flows, to: dir.path, configuration: StoreConfiguration(blockRecords: 90, segmentMaxBytes: 8 << 10), batch: 100)
        var visitors = Array(repeating: SummingVisitor(needsAnnotations: threads % 2 == 1), count: threads)
        let stats = try StoreReader(directory: dir.path).scanConversations(since: nil, until: nil, visitors: &visitors)
        let (_, rowStats) = try readAll(dir.path)
        #expect(visitors.reduce(0) { $0 + $1.flows } == UInt64(flows.count))
        #expect(visitors.reduce(0) { $0 + $1.packets } == flows.reduce(0) { $0 + $1.flow.packets })
        #expect(visitors.reduce(0) { $0 + $1.bytes } == flows.reduce(0) { $0 + $1.flow.bytes })
        #expect(visitors.reduce(0) { $0 + $1.blocks } == rowStats.blocksRead)
        #expect(stats.blocksRead == rowStats.blocksRead && stats.blocksTotal == rowStats.blocksTotal)
        #expect(stats.segmentsTotal == rowStats.segmentsTotal)
        #expect(stats.flowsVisited == UInt64(flows.count))
        if threads > 1 { #expect(visitors.allSatisfy { $0.blocks > 0 }) }
    }
}
