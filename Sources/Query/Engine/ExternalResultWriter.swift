import FlowCore

/// Prints results another engine computed (a ClickHouse server, `flowlog query --clickhouse`)
/// exactly as a local run prints them: flows go through the same row, table and top-N sinks,
/// groups through the same key text, ranking, `--top` cut and writers. So the two answers can
/// only differ in what was matched, never in how it is shown.
public struct ExternalResultWriter {
    // Exactly one is set. Separate optionals (not an enum with payloads) so each sink is
    // mutated in place through optional chaining, never copied per flow.
    private var rows: RowSink?
    private var table: TableSink?
    private var top: TopFlowsSink?
    private var groups: GroupSink?
    public private(set) var flowsAccepted: UInt64 = 0

    public init(plan: QueryPlan) {
        if !plan.groupBy.isEmpty {
            groups = GroupSink(grouping: FlowGrouping(keys: plan.groupBy), format: plan.format, order: plan.order, top: plan.top)
        } else if let n = plan.top {
            top = TopFlowsSink(top: TopFlows(limit: n, order: plan.order), format: plan.format, fields: plan.fields)
        } else if plan.format == .table {
            table = TableSink(fields: plan.fields)
        } else {
            rows = RowSink(writer: FlowRowWriter(format: plan.format, fields: plan.fields))
        }
    }

    public mutating func begin(into out: inout OutputBuffer) throws {
        try rows?.begin(into: &out)
        try table?.begin(into: &out)
        try top?.begin(into: &out)
        try groups?.begin(into: &out)
    }

    /// One matching flow (rows, table, or `--top` without `--group-by`).
    public mutating func add(flow record: AnnotatedFlow, into out: inout OutputBuffer) throws {
        flowsAccepted += 1
        try rows?.accept(record, into: &out)
        try table?.accept(record, into: &out)
        try top?.accept(record, into: &out)
        try groups?.accept(record, into: &out)
    }

    /// Totals of flows that share every field the group-by keys print; `representative`
    /// carries those fields. Several calls may land in one group: their totals add up.
    public mutating func add(group representative: AnnotatedFlow, totals: FlowTotals) {
        precondition(groups != nil, "add(group:) needs a plan with --group-by")
        groups?.grouping.add(totals, toGroupOf: representative)
        flowsAccepted &+= totals.flows
    }

    public mutating func finish(into out: inout OutputBuffer) throws {
        try rows?.finish(into: &out)
        try table?.finish(into: &out)
        try top?.finish(into: &out)
        try groups?.finish(into: &out)
        try out.flush()
    }

    /// Groups held (0 without `--group-by`).
    public var groupCount: Int { groups?.groupCount ?? 0 }
}
