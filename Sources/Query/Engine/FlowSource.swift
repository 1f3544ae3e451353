import FlowCore
import SegmentStore

/// Something the query engine can scan: the segment store, or flows held in memory.
protocol FlowSource {
    /// Calls the visitor for every block overlapping the window it does not skip, and returns
    /// what it read (segments, blocks, flows, bytes).
    func scan<V: StoreVisitor>(window: TimeWindow, visitor: inout V) throws -> QueryStatistics
    /// The same, column-wise: the visitors get each block's records in the window summed per
    /// conversation, each visitor a share of the blocks (in parallel where the source can).
    func scanConversations<V: ConversationVisitor>(window: TimeWindow, visitors: inout [V]) throws -> QueryStatistics
    /// The earliest start of each block `scan` will offer the visitor, in the same order.
    func blockStarts(window: TimeWindow) throws -> [Timestamp]
}

/// Flows in memory, cut into blocks with digests like the store's; for tests and for checking
/// the pruner against brute force.
public struct InMemoryFlowSource: FlowSource, Sendable {
    public let blocks: [[AnnotatedFlow]]
    public let digests: [BlockDigest]

    public init(flows: [AnnotatedFlow], blockSize: Int) {
        precondition(blockSize > 0)
        var blocks: [[AnnotatedFlow]] = []
        var start = 0
        while start < flows.count {
            blocks.append(Array(flows[start..<min(start + blockSize, flows.count)]))
            start += blockSize
        }
        self.blocks = blocks
        digests = blocks.map { block in
            var d = BlockDigest()
            for f in block { d.insert(f) }
            d.seal()
            return d
        }
    }

    func scan<V: StoreVisitor>(window: TimeWindow, visitor: inout V) throws -> QueryStatistics {
        var stats = QueryStatistics()
        stats.segmentsTotal = 1
        stats.blocksTotal = blocks.count
        for (i, block) in blocks.enumerated() {
            guard digests[i].mayOverlap(since: window.since, until: window.until),
                  visitor.shouldRead(block: digests[i]) else {
                stats.blocksSkipped += 1
                continue
            }
            stats.blocksRead += 1
            for flow in block where window.contains(flow.flow) {
                if !visitor.visit(flow) { return stats }
            }
        }
        return stats
    }

    func blockStarts(window: TimeWindow) throws -> [Timestamp] {
        digests.filter { $0.mayOverlap(since: window.since, until: window.until) }.map(\.minStart)
    }

    /// Each flow is a conversation of one (the store sums; the answer is the same), all for
    /// the first visitor.
    func scanConversations<V: ConversationVisitor>(window: TimeWindow, visitors: inout [V]) throws -> QueryStatistics {
        var adapter = SingleFlowConversations(visitor: visitors[0])
        defer { visitors[0] = adapter.visitor }
        return try scan(window: window, visitor: &adapter)
    }
}

/// Hands each flow to a `ConversationVisitor` as a block of one conversation of one flow.
private struct SingleFlowConversations<V: ConversationVisitor>: StoreVisitor {
    var visitor: V

    mutating func shouldRead(block digest: BlockDigest) -> Bool { visitor.shouldRead(block: digest) }

    mutating func visit(_ flow: AnnotatedFlow) -> Bool {
        visitor.visit(ConversationSums(single: flow))
        return true
    }
}

/// The segment store.
struct StoreFlowSource: FlowSource {
    let reader: StoreReader

    func scan<V: StoreVisitor>(window: TimeWindow, visitor: inout V) throws -> QueryStatistics {
        Self.statistics(try reader.scan(since: window.since, until: window.until, visitor: &visitor))
    }

    func scanConversations<V: ConversationVisitor>(window: TimeWindow, visitors: inout [V]) throws -> QueryStatistics {
        Self.statistics(try reader.scanConversations(since: window.since, until: window.until, visitors: &visitors))
    }

    func blockStarts(window: TimeWindow) throws -> [Timestamp] {
        try reader.blockStarts(since: window.since, until: window.until)
    }

    static func statistics(_ scan: ScanStatistics) -> QueryStatistics {
        var stats = QueryStatistics()
        stats.segmentsTotal = scan.segmentsTotal
        stats.segmentsSkipped = scan.segmentsSkipped
        stats.blocksTotal = scan.blocksTotal
        stats.blocksRead = scan.blocksRead
        stats.blocksSkipped = scan.blocksSkipped
        stats.bytesRead = scan.bytesRead
        stats.problems = scan.problems
        return stats
    }
}
