import FlowCore

/// Where matching flows go: printed as rows, a table, groups or the top N. Used through
/// generics so each run is specialised to its sink.
protocol MatchSink {
    mutating func begin(into out: inout OutputBuffer) throws
    /// The scan is about to offer the block with this digest (read or skipped).
    mutating func nextBlock(_ digest: BlockDigest, into out: inout OutputBuffer) throws
    mutating func accept(_ record: AnnotatedFlow, into out: inout OutputBuffer) throws
    mutating func finish(into out: inout OutputBuffer) throws
    var groupCount: Int { get }
    /// The most rows held at once to put them in order (0 for streamed rows and groups).
    var peakRowsHeld: Int { get }
}

extension MatchSink {
    mutating func nextBlock(_ digest: BlockDigest, into out: inout OutputBuffer) throws {}
    var peakRowsHeld: Int { 0 }
}

/// CSV, NDJSON and JSON rows, streamed.
struct RowSink: MatchSink {
    var writer: FlowRowWriter

    mutating func begin(into out: inout OutputBuffer) throws { writer.begin(into: &out) }

    mutating func accept(_ record: AnnotatedFlow, into out: inout OutputBuffer) throws {
        writer.write(record, into: &out)
        try out.flushIfFull()
    }

    mutating func finish(into out: inout OutputBuffer) throws { writer.end(into: &out) }
    var groupCount: Int { 0 }
}

/// Aligned columns of flows.
struct TableSink: MatchSink {
    let fields: [OutputField]
    var table: TableWriter
    var cells: CellRenderer

    init(fields: [OutputField], layout: TableLayout) {
        self.fields = fields
        table = TableWriter(headers: fields.map(\.tableHeading), rightAligned: fields.map(\.isNumeric),
                            shrinkable: fields.map(\.isShrinkable), maxWidth: layout.maxWidth)
        cells = CellRenderer(secondsOnly: layout.secondsOnly)
    }

    mutating func begin(into out: inout OutputBuffer) throws {}

    mutating func accept(_ record: AnnotatedFlow, into out: inout OutputBuffer) throws {
        table.add(cells.render(fields, of: record), into: &out)
        try out.flushIfFull()
    }

    mutating func finish(into out: inout OutputBuffer) throws { table.finish(into: &out) }
    var groupCount: Int { 0 }
}

/// `--group-by`, printed at the end, ranked by the order, cut to `--top`.
struct GroupSink: MatchSink {
    var grouping: FlowGrouping
    let format: OutputFormat
    let order: ResultOrder
    let top: Int?
    var layout = TableLayout.standard

    mutating func begin(into out: inout OutputBuffer) throws {}

    mutating func accept(_ record: AnnotatedFlow, into out: inout OutputBuffer) throws { grouping.add(record) }

    mutating func finish(into out: inout OutputBuffer) throws {
        let keys = grouping.keys
        var writer = GroupRowWriter(format: format, keys: keys, layout: layout)
        writer.begin(into: &out)
        for group in grouping.ranked(by: order, limit: top) {
            writer.write(group.key, group.totals, into: &out)
            try out.flushIfFull()
        }
        writer.end(into: &out)
    }

    var groupCount: Int { grouping.groupCount }
}

/// Flow rows in a `ResultOrder` (every order but `stored`): held, ranked, then printed.
///
/// With a limit of at most `spillRows`, a bounded heap keeps the first rows (`RankedRows`).
/// Otherwise rows in CSV, NDJSON or JSON are held `spillRows` at a time: each time that many
/// are held they are sorted, rendered and written to a temporary file in `spillDirectory`
/// (`SpilledRuns`), and the runs are merged at the end (the first `limit` of them printed), so
/// memory stays bounded however many rows match. Tables hold every row (their cells are built
/// from whole records).
struct OrderedRowsSink: MatchSink {
    var rows: RankedRows
    let format: OutputFormat
    let fields: [OutputField]
    let layout: TableLayout
    var peakRowsHeld = 0
    /// Rows held before a run is written; nil: never (a table).
    let spillRows: Int?
    /// The rows printed at most.
    let limit: Int?
    private var runs: SpilledRuns
    private var renderer: FlowRowWriter
    private var rendered = OutputBuffer(target: .memory)

    init(order: ResultOrder, limit: Int?, format: OutputFormat, fields: [OutputField], layout: TableLayout,
         spillRows: Int? = nil, spillDirectory: String = QueryPlan.defaultSpillDirectory) {
        let spills = format != .table ? spillRows.map { max(1, $0) } : nil
        // A heap of `limit` rows when that is within the bound; else every row, in runs.
        let heap = limit.map { limit in spills.map { limit <= $0 } ?? true } ?? (spills == nil)
        rows = RankedRows(order: order, limit: heap ? limit : nil)
        self.limit = limit
        self.format = format
        self.fields = fields
        self.layout = layout
        self.spillRows = heap ? nil : spills
        runs = SpilledRuns(directory: spillDirectory)
        let writer = FlowRowWriter(format: format == .table ? .csv : format, fields: fields)
        renderer = FlowRowWriter(format: writer.standaloneFormat, fields: fields)
    }

    mutating func begin(into out: inout OutputBuffer) throws {}

    mutating func accept(_ record: AnnotatedFlow, into out: inout OutputBuffer) throws {
        rows.add(record)
        if let spillRows, rows.count >= spillRows { try spill() }
    }

    /// Writes the rows held as one sorted run.
    private mutating func spill() throws {
        peakRowsHeld = max(peakRowsHeld, rows.count)
        try runs.beginRun()
        for row in rows.drain() {
            rendered.truncate(to: 0)
            renderer.write(row.record, into: &rendered)
            try runs.append(key: row.key, sequence: row.sequence, row: rendered.written(from: 0))
        }
        try runs.endRun()
    }

    mutating func finish(into out: inout OutputBuffer) throws {
        if !runs.runs.isEmpty {
            if rows.count > 0 { try spill() }
            var writer = FlowRowWriter(format: format, fields: fields)
            writer.begin(into: &out)
            var printed = 0
            try runs.merge { row in
                if let limit, printed >= limit { return false }
                writer.write(rendered: row, into: &out)
                printed += 1
                try out.flushIfFull()
                return true
            }
            writer.end(into: &out)
            return
        }
        var ranked = rows.ranked()
        if let limit, ranked.count > limit { ranked.removeLast(ranked.count - limit) }
        peakRowsHeld = max(peakRowsHeld, ranked.count)
        if format == .table {
            var sink = TableSink(fields: fields, layout: layout)
            for r in ranked { try sink.accept(r, into: &out) }
            try sink.finish(into: &out)
        } else {
            var sink = RowSink(writer: FlowRowWriter(format: format, fields: fields))
            try sink.begin(into: &out)
            for r in ranked { try sink.accept(r, into: &out) }
            try sink.finish(into: &out)
        }
    }

    var groupCount: Int { 0 }
}
