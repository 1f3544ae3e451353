import FlowCore
import SegmentStore

/// The scan's visitor: skips blocks the pruner rules out, tests each flow against the window
/// and the compiled filter, and hands matches to the sink. Holds no per-flow state beyond
/// counters, so memory stays flat however large the store.
///
/// Blocks of the store are screened column-wise (`ColumnFilter`): rows the filter rejects
/// are never built, and rows it admits are not tested again. Flows offered without a screen
/// (held in memory) are tested whole by the `FilterProgram`.
struct QueryVisitor<Sink: MatchSink>: StoreVisitor {
    let filter: FilterProgram
    /// The filter compiled for columns, when `screens`.
    var columns: ColumnFilter
    /// False when the filter accepts everything or is too large for the column registers.
    let screens: Bool
    /// Whether the block being visited was screened (its rows need no further test).
    var screened = false
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

    init(filter: FilterProgram, pruner: BlockPruner, window: TimeWindow, limit: UInt64?, sink: Sink, out: OutputBuffer) {
        self.filter = filter
        let compiled = filter.acceptsEverything ? nil : ColumnFilter(filter.expression)
        columns = compiled ?? ColumnFilter(.all)!
        screens = compiled != nil
        self.pruner = pruner
        self.window = window
        self.limit = limit
        self.sink = sink
        self.out = out
    }

    mutating func shouldRead(block digest: BlockDigest) -> Bool {
        screened = false
        do {
            try sink.nextBlock(digest, into: &out)
        } catch {
            // The scan goes on to the next flow, where `visit` stops it.
            failure = failure ?? error
        }
        return pruner.shouldRead(digest, prunedByFilter: &prunedByFilter)
    }

    /// A filter that reads no annotation screens without prepared records (with no filter every
    /// row is admitted, and numbering them all while decoding is cheaper).
    var screensWithoutPreparedRecords: Bool { screens && !columns.readsPrepared }

    mutating func screen(_ block: BlockRows) {
        guard screens else { return }
        columns.screen(block)
        screened = true
    }

    mutating func admits(_ block: BlockRows, row: Int) -> Bool {
        guard screened else { return true }
        scanned += 1
        return columns.admits(block, row: row)
    }

    mutating func visit(_ record: AnnotatedFlow) -> Bool {
        if failure != nil { return false }
        if !screened { scanned += 1 }
        guard window.contains(record.flow), screened || filter.acceptsEverything || filter.matches(record) else { return true }
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
