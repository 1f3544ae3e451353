import FlowCore
import SegmentStore

/// The scan's visitor: skips blocks the pruner rules out, tests each flow against the window
/// and the compiled filter, and hands matches to the sink. Holds no per-flow state beyond
/// counters, so memory stays flat however large the store.
struct QueryVisitor<Sink: MatchSink>: StoreVisitor {
    let filter: FilterProgram
    let pruner: BlockPruner
    let window: TimeWindow
    let limit: UInt64?
    var sink: Sink
    var out: OutputBuffer
    var scanned: UInt64 = 0
    var matched: UInt64 = 0
    var prunedByFilter = 0
    /// The first output error (a closed pipe, a full disk); the scan stops at it.
    var failure: Error?

    mutating func shouldRead(block digest: BlockDigest) -> Bool {
        do {
            try sink.nextBlock(digest, into: &out)
        } catch {
            // The scan goes on to the next flow, where `visit` stops it.
            failure = failure ?? error
        }
        return pruner.shouldRead(digest, prunedByFilter: &prunedByFilter)
    }

    mutating func visit(_ record: AnnotatedFlow) -> Bool {
        if failure != nil { return false }
        scanned += 1
        guard window.contains(record.flow), filter.matches(record) else { return true }
        matched += 1
        do {
            try sink.accept(record, into: &out)
        } catch {
            failure = error
            return false
        }
        if let limit, matched >= limit { return false }
        return true
    }
}
