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
struct OrderedRowsSink: MatchSink {
    var rows: RankedRows
    let format: OutputFormat
    let fields: [OutputField]
    let layout: TableLayout
    var peakRowsHeld = 0

    mutating func begin(into out: inout OutputBuffer) throws {}

    mutating func accept(_ record: AnnotatedFlow, into out: inout OutputBuffer) throws { rows.add(record) }

    mutating func finish(into out: inout OutputBuffer) throws {
        let ranked = rows.ranked()
        peakRowsHeld = ranked.count
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
