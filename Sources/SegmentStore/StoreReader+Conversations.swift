import Dispatch
import FlowCore

extension StoreReader {
    /// Like `scan`, but reads blocks column-wise and hands the visitor each block's records
    /// summed per conversation (see `ConversationVisitor`): far less work per record when the
    /// question needs only conversation fields and totals, as a group-by usually does.
    ///
    /// With more than one visitor the blocks are dealt round-robin to that many threads, one
    /// visitor each; the caller merges the visitors afterwards. Sums do not depend on the
    /// order blocks are read in, which is what makes the split safe. Statistics are the
    /// workers' together; the first error of any worker is thrown after all have stopped.
    @inlinable
    public func scanConversations<V: ConversationVisitor>(since: Timestamp?, until: Timestamp?,
                                                          visitors: inout [V]) throws -> ScanStatistics {
        precondition(!visitors.isEmpty)
        let shares = visitors.count
        if shares == 1 { return try scanConversations(since: since, until: until, share: 0, of: 1, visitor: &visitors[0]) }
        var results = [Result<ScanStatistics, Error>](repeating: .success(ScanStatistics()), count: shares)
        visitors.withUnsafeMutableBufferPointer { visitorSlots in
            results.withUnsafeMutableBufferPointer { resultSlots in
                let visitorBase = _DisjointSlots(visitorSlots.baseAddress!)
                let resultBase = _DisjointSlots(resultSlots.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: shares) { share in
                    resultBase.pointer[share] = Result {
                        try self.scanConversations(since: since, until: until, share: share, of: shares,
                                                   visitor: &visitorBase.pointer[share])
                    }
                }
            }
        }
        var total = ScanStatistics()
        for result in results { total.add(try result.get()) }
        return total
    }

    @inlinable
    func scanConversations<V: ConversationVisitor>(since: Timestamp?, until: Timestamp?, share: Int, of shares: Int,
                                                   visitor: inout V) throws -> ScanStatistics {
        let cursor = try _ScanCursor(reader: self, since: since, until: until, share: share, of: shares)
        var block = ConversationSums()
        block.withAnnotations = visitor.needsAnnotations
        while let digest = try cursor.nextBlock() {
            guard visitor.shouldRead(block: digest) else {
                cursor.skipBlock()
                continue
            }
            guard try cursor.readConversations(into: &block) else { continue }
            var visited: UInt64 = 0
            for i in 0..<block.count { visited &+= block.flows(i) }
            visitor.visit(block)
            cursor.visited(Int(visited))
        }
        return cursor.finish()
    }
}

/// The base of an array whose elements are handed out one per worker thread.
///
/// `@unchecked Sendable` is sound because every worker of `concurrentPerform` reads and writes
/// only the element at its own iteration index, the array outlives the call (it is borrowed
/// for the whole `withUnsafeMutableBufferPointer` scope), and `concurrentPerform` returns only
/// after every worker has finished, which orders their writes before the caller's reads.
@usableFromInline
struct _DisjointSlots<Element>: @unchecked Sendable {
    @usableFromInline let pointer: UnsafeMutablePointer<Element>
    @inlinable init(_ pointer: UnsafeMutablePointer<Element>) { self.pointer = pointer }
}

extension ScanStatistics {
    /// Adds another worker's figures.
    @usableFromInline
    mutating func add(_ other: ScanStatistics) {
        segmentsTotal += other.segmentsTotal
        segmentsSkipped += other.segmentsSkipped
        blocksTotal += other.blocksTotal
        blocksRead += other.blocksRead
        blocksSkipped += other.blocksSkipped
        flowsDecoded += other.flowsDecoded
        flowsVisited += other.flowsVisited
        bytesRead += other.bytesRead
        problems += other.problems
    }
}
