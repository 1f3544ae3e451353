import FlowCore
import SegmentStore

/// Runs a `QueryPlan` over a flow source and writes the results.
public enum QueryEngine {
    /// Runs `plan` over the store in `directory`. Fails with a `FlowlogError` for a missing or
    /// empty directory or a segment from a newer format; corrupt blocks are skipped and listed
    /// in the result's `problems`.
    public static func run(_ plan: QueryPlan, directory: String, into out: inout OutputBuffer) throws -> QueryStatistics {
        try run(plan, source: StoreFlowSource(reader: try StoreReader(directory: directory)), into: &out)
    }

    /// Runs `plan` over an open store reader.
    public static func run(_ plan: QueryPlan, reader: StoreReader, into out: inout OutputBuffer) throws -> QueryStatistics {
        try run(plan, source: StoreFlowSource(reader: reader), into: &out)
    }

    /// Runs `plan` over flows held in memory (tests, tools); results go to `out`.
    public static func run(_ plan: QueryPlan, over source: InMemoryFlowSource,
                           into out: inout OutputBuffer) throws -> QueryStatistics {
        try run(plan, source: source, into: &out)
    }

    static func run<Source: FlowSource>(_ plan: QueryPlan, source: Source,
                                        into out: inout OutputBuffer) throws -> QueryStatistics {
        try plan.checkOrder()
        if let fields = plan.conversationSumFields {
            return try runConversationSums(plan, reading: fields, source: source, into: &out)
        }
        let order = plan.resultOrder
        if !plan.groupBy.isEmpty {
            return try run(plan, source: source,
                           sink: GroupSink(grouping: FlowGrouping(keys: plan.groupBy), format: plan.format,
                                           order: order, top: plan.top, layout: plan.tableLayout),
                           scanLimit: plan.limit, into: &out)
        }
        if order == .stored {
            // Streams: rows print as the scan meets them, and --limit ends the scan.
            if plan.format == .table {
                return try run(plan, source: source, sink: TableSink(fields: plan.fields, layout: plan.tableLayout),
                               scanLimit: plan.limit, into: &out)
            }
            return try run(plan, source: source,
                           sink: RowSink(writer: FlowRowWriter(format: plan.format, fields: plan.fields)),
                           scanLimit: plan.limit, into: &out)
        }
        if order == .time, plan.top == nil, plan.limit == nil {
            // Oldest first, streamed: rows wait only for blocks that could start earlier.
            let starts = try source.blockStarts(window: plan.window)
            if plan.format == .table {
                return try run(plan, source: source,
                               sink: TimeOrderedRowsSink(output: TableSink(fields: plan.fields, layout: plan.tableLayout),
                                                         blockStarts: starts),
                               scanLimit: nil, into: &out)
            }
            return try run(plan, source: source,
                           sink: TimeOrderedRowsSink(output: RowSink(writer: FlowRowWriter(format: plan.format, fields: plan.fields)),
                                                     blockStarts: starts),
                           scanLimit: nil, into: &out)
        }
        // Every flow is read; the first N in the order are kept.
        let keep = [plan.top, plan.limit].compactMap { $0 }.min()
        return try run(plan, source: source,
                       sink: OrderedRowsSink(order: order, limit: keep, format: plan.format,
                                             fields: plan.fields, layout: plan.tableLayout,
                                             spillRows: plan.spillRows, spillDirectory: plan.spillDirectory),
                       scanLimit: nil, into: &out)
    }

    private static func run<Source: FlowSource, Sink: MatchSink>(
        _ plan: QueryPlan, source: Source, sink: Sink, scanLimit: Int?, into out: inout OutputBuffer
    ) throws -> QueryStatistics {
        if plan.threads > 1, let store = source as? StoreFlowSource {
            return try run(plan, reader: store.reader, threads: plan.threads, sink: sink, scanLimit: scanLimit, into: &out)
        }
        let clock = ContinuousClock()
        let started = clock.now
        var visitor = QueryVisitor(filter: plan.filter,
                                   pruner: BlockPruner(filter: plan.filter.expression, since: plan.window.since,
                                                       until: plan.window.until),
                                   window: plan.window, limit: scanLimit.map { UInt64($0) }, sink: sink, out: out)
        // The output buffer moves into the visitor for the scan and back out afterwards, so
        // every path (including errors) hands the caller what was written.
        out = OutputBuffer(target: out.target)
        defer { out = visitor.out }
        try visitor.sink.begin(into: &visitor.out)
        var stats = try source.scan(window: plan.window, visitor: &visitor)
        if let failure = visitor.failure { throw failure }
        try visitor.sink.finish(into: &visitor.out)
        try visitor.out.flush()
        stats.count(scanned: visitor.scanned, matched: visitor.matched, prunedByFilter: visitor.prunedByFilter, sink: visitor.sink)
        stats.elapsedSeconds = seconds(since: started, clock)
        return stats
    }

    /// The same over the store with blocks read, decoded and filtered on `threads` threads
    /// (`StoreReader.scanBlocks`); the matches reach the sink in scan order, so the output is
    /// the one-thread scan's byte for byte.
    private static func run<Sink: MatchSink>(_ plan: QueryPlan, reader: StoreReader, threads: Int, sink: Sink,
                                             scanLimit: Int?, into out: inout OutputBuffer) throws -> QueryStatistics {
        let clock = ContinuousClock()
        let started = clock.now
        var workers = (0..<threads).map { _ in RowMatcher(filter: plan.filter, window: plan.window, limit: scanLimit) }
        var consumer = MatchedRowsConsumer(
            pruner: BlockPruner(filter: plan.filter.expression, since: plan.window.since, until: plan.window.until),
            limit: scanLimit.map { UInt64($0) }, sink: sink, out: out)
        // As in the one-thread run: the buffer moves into the consumer and back out.
        out = OutputBuffer(target: out.target)
        defer { out = consumer.out }
        try consumer.sink.begin(into: &consumer.out)
        var stats = StoreFlowSource.statistics(
            try reader.scanBlocks(since: plan.window.since, until: plan.window.until, workers: &workers, consumer: &consumer))
        if let failure = consumer.failure { throw failure }
        try consumer.sink.finish(into: &consumer.out)
        try consumer.out.flush()
        stats.count(scanned: consumer.scanned, matched: consumer.matched, prunedByFilter: consumer.prunedByFilter, sink: consumer.sink)
        stats.elapsedSeconds = seconds(since: started, clock)
        return stats
    }

    /// A group-by over conversation fields, read column-wise (`QueryPlan.readsConversationSums`).
    private static func runConversationSums<Source: FlowSource>(_ plan: QueryPlan, reading fields: ConversationFields,
                                                                source: Source, into out: inout OutputBuffer) throws -> QueryStatistics {
        let clock = ContinuousClock()
        let started = clock.now
        // One visitor per worker, each built afresh: a grouping's scratch buffers are not
        // shared between threads.
        var visitors = (0..<max(1, plan.threads)).map { _ in
            ConversationQueryVisitor(
                filter: plan.filter,
                pruner: BlockPruner(filter: plan.filter.expression, since: plan.window.since, until: plan.window.until),
                sink: GroupSink(grouping: FlowGrouping(keys: plan.groupBy), format: plan.format, order: plan.resultOrder,
                                top: plan.top, layout: plan.tableLayout),
                reads: fields)
        }
        var stats = try source.scanConversations(window: plan.window, visitors: &visitors)
        var merged = visitors.removeFirst()
        for other in visitors { merged.merge(other) }
        try merged.sink.begin(into: &out)
        try merged.sink.finish(into: &out)
        try out.flush()
        stats.flowsScanned = merged.scanned
        stats.flowsMatched = merged.matched
        stats.blocksPrunedByFilter = merged.prunedByFilter
        stats.groups = merged.sink.groupCount
        stats.conversationSums = merged.conversations
        stats.elapsedSeconds = seconds(since: started, clock)
        return stats
    }

    private static func seconds(since started: ContinuousClock.Instant, _ clock: ContinuousClock) -> Double {
        let elapsed = clock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

extension QueryStatistics {
    /// What a row scan counted (the one-thread visitor's or the parallel consumer's) and what
    /// its sink held.
    mutating func count<Sink: MatchSink>(scanned: UInt64, matched: UInt64, prunedByFilter: Int, sink: Sink) {
        flowsScanned = scanned
        flowsMatched = matched
        blocksPrunedByFilter = prunedByFilter
        groups = sink.groupCount
        peakRowsHeld = sink.peakRowsHeld
    }
}
