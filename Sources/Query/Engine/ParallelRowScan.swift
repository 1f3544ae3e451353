import FlowCore
import SegmentStore

/// The rows of one block a filter admitted, as a worker of a parallel row scan leaves them for
/// the scan's thread: each as a whole record, with its row number in the block (how far into
/// the block a scan stopping at it had looked).
struct MatchedRows {
    var records: [AnnotatedFlow] = []
    var rows: [Int32] = []
    /// Rows the block held (inside the scan's time range).
    var rowCount = 0

    mutating func removeAll() {
        records.removeAll(keepingCapacity: true)
        rows.removeAll(keepingCapacity: true)
        rowCount = 0
    }
}

/// A parallel row scan's worker (`StoreReader.scanBlocks`): tests each row of a block against
/// the window and the filter, as `QueryVisitor` does (column-wise where the filter compiles),
/// and keeps the matches. Printing, ranking and the limit stay with `MatchedRowsConsumer`, on
/// the scan's thread, in scan order, so the output is the sequential scan's byte for byte.
struct RowMatcher: StoreBlockWorker, StoreVisitor {
    let filter: FilterProgram
    var columns: ColumnFilter
    let screens: Bool
    var screened = false
    let window: TimeWindow
    /// A block never needs more matches than the scan prints at most.
    let limit: Int?
    private var matches = MatchedRows()
    private var row = 0

    init(filter: FilterProgram, window: TimeWindow, limit: Int?) {
        self.filter = filter
        let compiled = filter.acceptsEverything ? nil : ColumnFilter(filter.expression)
        columns = compiled ?? ColumnFilter(.all)!
        screens = compiled != nil
        self.window = window
        self.limit = limit
    }

    // StoreBlockWorker

    var numbersPreparedOnDemand: Bool { screens && !columns.readsPrepared }

    func makeOutput() -> MatchedRows { MatchedRows() }

    mutating func work(on block: inout BlockRows, into output: inout MatchedRows) {
        swap(&matches, &output)
        matches.removeAll()
        matches.rowCount = block.rowCount
        screened = false
        row = 0
        _ = block.visitRows(with: &self)
        swap(&matches, &output)
    }

    // StoreVisitor, for `BlockRows.visitRows`

    mutating func shouldRead(block digest: BlockDigest) -> Bool { true }

    var screensWithoutPreparedRecords: Bool { numbersPreparedOnDemand }

    mutating func screen(_ block: BlockRows) {
        guard screens else { return }
        columns.screen(block)
        screened = true
    }

    mutating func admits(_ block: BlockRows, row: Int) -> Bool {
        self.row = row
        return !screened || columns.admits(block, row: row)
    }

    mutating func visit(_ record: AnnotatedFlow) -> Bool {
        guard window.contains(record.flow), screened || filter.acceptsEverything || filter.matches(record) else { return true }
        matches.records.append(record)
        matches.rows.append(Int32(truncatingIfNeeded: row))
        if let limit, matches.records.count >= limit { return false }
        return true
    }
}

/// The scan's thread of a parallel row scan: skips the blocks the pruner rules out, and hands
/// each block's matches to the sink in scan order, stopping at the limit or the first output
/// error, with the counts a sequential scan (`QueryVisitor`) would have.
struct MatchedRowsConsumer<Sink: MatchSink>: StoreBlockConsumer {
    let pruner: BlockPruner
    let limit: UInt64?
    var sink: Sink
    var out: OutputBuffer
    var scanned: UInt64 = 0
    var matched: UInt64 = 0
    var prunedByFilter = 0
    var failure: Error?

    init(pruner: BlockPruner, limit: UInt64?, sink: Sink, out: OutputBuffer) {
        self.pruner = pruner
        self.limit = limit
        self.sink = sink
        self.out = out
    }

    func shouldRead(block digest: BlockDigest) -> Bool {
        var counted = 0
        return pruner.shouldRead(digest, prunedByFilter: &counted)
    }

    mutating func consume(block digest: BlockDigest, _ block: ScannedBlock<MatchedRows>, visited: inout Int) -> Bool {
        do {
            try sink.nextBlock(digest, into: &out)
        } catch {
            failure = failure ?? error
        }
        switch block {
        case .declined:
            _ = pruner.shouldRead(digest, prunedByFilter: &prunedByFilter)
            return failure == nil
        case .damaged:
            return failure == nil
        case .read(let matches):
            if failure != nil { return false }
            for i in 0..<matches.records.count {
                matched += 1
                visited += 1
                do {
                    try sink.accept(matches.records[i], into: &out)
                } catch {
                    failure = error
                }
                if failure != nil || matched >= limit ?? .max {
                    scanned += UInt64(matches.rows[i]) + 1
                    return false
                }
            }
            scanned += UInt64(matches.rowCount)
            return true
        }
    }
}
