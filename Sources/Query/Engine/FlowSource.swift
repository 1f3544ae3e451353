import FlowCore

/// The visitor side of a scan: asked per block (by digest), then handed flows.
/// Mirrors the store reader's visitor so the engine runs over the store and over memory alike.
protocol FlowVisiting {
    mutating func shouldRead(block digest: BlockDigest) -> Bool
    mutating func visit(_ flow: AnnotatedFlow) -> Bool
}

/// Something the query engine can scan: the segment store, or flows held in memory.
protocol FlowSource {
    /// Calls the visitor for every block overlapping the window it does not skip, and returns
    /// what it read (segments, blocks, flows, bytes).
    func scan<V: FlowVisiting>(window: TimeWindow, visitor: inout V) throws -> QueryStatistics
}

/// Flows in memory, cut into blocks with digests like the store's; for tests and for checking
/// the pruner against brute force.
public struct InMemoryFlowSource: FlowSource {
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

    func scan<V: FlowVisiting>(window: TimeWindow, visitor: inout V) throws -> QueryStatistics {
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
}
