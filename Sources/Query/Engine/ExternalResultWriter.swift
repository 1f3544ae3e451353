import FlowCore

/// Prints results another engine computed (a ClickHouse server, `flowlog query --clickhouse`)
/// exactly as a local run prints them: the same sink `QueryEngine` picks for the plan, so
/// flows are ranked, cut and written alike, and groups get the same key text, totals, ranking
/// and `--top` cut. The two answers can then only differ in what was matched.
///
/// Flows must arrive in the order a local scan meets them (store order) for ties to break
/// alike.
public struct ExternalResultWriter {
    // Exactly one is set. Separate optionals (not an enum with payloads) so each sink is
    // mutated in place through optional chaining, never copied per flow.
    private var rows: RowSink?
    private var table: TableSink?
    private var ordered: OrderedRowsSink?
    private var groups: GroupSink?
    public private(set) var flowsAccepted: UInt64 = 0

    public init(plan: QueryPlan) {
        let order = plan.resultOrder
        if !plan.groupBy.isEmpty {
            groups = GroupSink(grouping: FlowGrouping(keys: plan.groupBy), format: plan.format, order: order, top: plan.top,
                               layout: plan.tableLayout)
        } else if order == .stored {
            if plan.format == .table {
                table = TableSink(fields: plan.fields, layout: plan.tableLayout)
            } else {
                rows = RowSink(writer: FlowRowWriter(format: plan.format, fields: plan.fields))
            }
        } else {
            let keep = [plan.top, plan.limit].compactMap { $0 }.min()
            ordered = OrderedRowsSink(order: order, limit: keep, format: plan.format, fields: plan.fields,
                                      layout: plan.tableLayout, spillRows: plan.spillRows, spillDirectory: plan.spillDirectory)
        }
    }

    public mutating func begin(into out: inout OutputBuffer) throws {
        try rows?.begin(into: &out)
        try table?.begin(into: &out)
        try ordered?.begin(into: &out)
        try groups?.begin(into: &out)
    }

    /// One matching flow (without `--group-by`).
    public mutating func add(flow record: AnnotatedFlow, into out: inout OutputBuffer) throws {
        flowsAccepted += 1
        try rows?.accept(record, into: &out)
        try table?.accept(record, into: &out)
        try ordered?.accept(record, into: &out)
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
        try ordered?.finish(into: &out)
        try groups?.finish(into: &out)
        try out.flush()
    }

    /// Groups held (0 without `--group-by`).
    public var groupCount: Int { groups?.groupCount ?? 0 }
}
