import FlowCore
import Query

/// `flowlog query --clickhouse`: a `QueryPlan` run by a ClickHouse server over the flows table
/// (on a cluster, the Distributed table), printed by the same writers as a local query.
///
/// The filter and the time window become the `WHERE` condition (`SQLFilter`). Flow rows come
/// back whole, in store order (store, segment, block, row), and go through the local row,
/// table or top-N output. A group-by is summed by the server over the columns its keys print
/// from; each answer row is turned back into a representative flow and handed to the local
/// grouping, which builds the same key text, adds up groups that print alike, ranks them and
/// cuts `--top` exactly as a local run does. When every key's text is one-to-one with its
/// columns, `--top` is also pushed to the server: only groups at or above the N-th largest
/// total come back (ties included, so the local cut picks the same ones).
public struct ClickHouseQuery {
    public let client: ClickHouseClient
    public let database: String
    public let table: String

    /// What a run did, for `--stats`.
    public struct Statistics: Sendable, Equatable {
        public var rowsReturned: UInt64 = 0
        public var flowsMatched: UInt64 = 0
        public var groups = 0
        public var statements = 0
        public var elapsedSeconds: Double = 0

        public var summary: String {
            var lines = ["clickhouse: \(statements) statement(s), \(rowsReturned) row(s) returned, \(flowsMatched) flows matched"]
            if groups > 0 { lines.append("groups: \(groups)") }
            lines.append("elapsed: \(String(format3: elapsedSeconds)) s")
            return lines.joined(separator: "\n")
        }
    }

    public init(client: ClickHouseClient, database: String = "flowlog", table: String = "flows") throws {
        for (name, value) in [("--database", database), ("--table", table)] where !ClickHouseExporter.isPlainName(value) {
            throw FlowlogError(.invalidArgument, "'\(value)' is not a plain name (letters, digits, _; not starting with a digit)",
                               location: .init(field: name))
        }
        self.client = client
        self.database = database
        self.table = table
    }

    private var qualifiedTable: String { SQLLiteral.identifier(database) + "." + SQLLiteral.identifier(table) }

    static let storeOrder = "store_id, segment, block, row"

    /// The statements `run` sends for `plan` (the threshold statement first when `--top` is
    /// pushed down), for tests and `--explain`-style inspection.
    func whereClause(_ plan: QueryPlan) -> String {
        "(\(SQLFilter.window(plan.window))) AND \(SQLFilter.condition(plan.filter.expression))"
    }

    /// The matching rows as the aggregation reads them: the table, or with `--limit` the first
    /// N matching rows in store order (a local run stops after N matches, before grouping).
    private func source(_ plan: QueryPlan, columns: String) -> String {
        if let limit = plan.limit {
            return "(SELECT \(columns) FROM \(qualifiedTable) WHERE \(whereClause(plan)) ORDER BY \(Self.storeOrder) LIMIT \(limit))"
        }
        return qualifiedTable
    }

    /// Flow rows in `order`, as `RankedRows` keys them: smaller first, ties in store order.
    private static func rowOrder(_ order: ResultOrder) -> String {
        switch order {
        case .time: return "start_ns, \(storeOrder)"
        case .newest: return "start_ns DESC, \(storeOrder)"
        case .packets: return "(packets_out + packets_in) DESC, \(storeOrder)"
        case .bytes: return "(bytes_out + bytes_in) DESC, \(storeOrder)"
        case .flows, .stored: return storeOrder
        }
    }

    public func run(_ plan: QueryPlan, into out: inout OutputBuffer) throws -> Statistics {
        let clock = ContinuousClock()
        let started = clock.now
        var stats = Statistics()
        var writer = ExternalResultWriter(plan: plan)
        try writer.begin(into: &out)
        if plan.groupBy.isEmpty {
            try runRows(plan, writer: &writer, out: &out, stats: &stats)
        } else {
            try runGroups(plan, writer: &writer, stats: &stats)
        }
        stats.flowsMatched = writer.flowsAccepted
        stats.groups = writer.groupCount
        try writer.finish(into: &out)
        let elapsed = clock.now - started
        stats.elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return stats
    }

    func rowsStatement(_ plan: QueryPlan) -> String {
        let order = plan.resultOrder
        var sql = "SELECT \(FlowColumn.list(FlowColumn.allCases)) FROM \(qualifiedTable) WHERE \(whereClause(plan))"
            + " ORDER BY \(Self.rowOrder(order))"
        let keep = order == .stored ? plan.limit : [plan.top, plan.limit].compactMap { $0 }.min()
        if let keep { sql += " LIMIT \(keep)" }
        return sql + " FORMAT RowBinary"
    }

    private func runRows(_ plan: QueryPlan, writer: inout ExternalResultWriter, out: inout OutputBuffer, stats: inout Statistics) throws {
        let answer = try select(rowsStatement(plan), stats: &stats)
        var reader = RowBinaryReader(answer)
        var decoder = FlowRowDecoder(columns: FlowColumn.allCases)
        while !reader.isAtEnd {
            try writer.add(flow: try decoder.decodeRow(&reader), into: &out)
            stats.rowsReturned += 1
        }
    }

    /// The columns `fields` print from, and whether that text is one-to-one with them.
    static func groupColumns(_ fields: [OutputField]) -> (columns: [FlowColumn], oneToOne: Bool) {
        var columns: [FlowColumn] = []
        var oneToOne = true
        for field in fields {
            let (needed, exact) = groupColumns(field)
            for c in needed where !columns.contains(c) { columns.append(c) }
            oneToOne = oneToOne && exact
        }
        return (FlowColumn.allCases.filter(columns.contains), oneToOne)
    }

    static func groupColumns(_ field: OutputField) -> ([FlowColumn], Bool) {
        func trace(_ traces: [FlowColumn.Trace]) -> [FlowColumn] {
            traces.flatMap { t in FlowColumn.TracePart.allCases.map { t.column($0) } }
        }
        // Which traces exist and what they decided: enough to derive the reporter and the
        // pending action the way `FlowAnnotation` does.
        let decisions: [FlowColumn] = FlowColumn.Trace.allCases.flatMap { [$0.column(.reporter), $0.column(.action)] }
        switch field {
        case .startTime: return ([.startNanoseconds], false)
        case .endTime: return ([.endNanoseconds], false)
        case .sourceIP: return ([.ipVersion, .sourceAddress], true)
        case .destIP: return ([.ipVersion, .destinationAddress], true)
        case .sourcePort: return ([.sourcePort, .ipProtocol], false)
        case .destPort: return ([.destinationPort, .ipProtocol], false)
        case .destPortProto: return ([.destinationPort, .ipProtocol], false)
        case .source: return ([.annotated, .sourceKind, .sourceNamespace, .sourceName, .ipVersion, .sourceAddress], false)
        case .dest: return ([.annotated, .destinationKind, .destinationNamespace, .destinationName, .ipVersion, .destinationAddress], false)
        case .sourceType: return ([.annotated, .sourceKind], true)
        case .destType: return ([.annotated, .destinationKind], true)
        case .sourceNamespace: return ([.sourceNamespace], true)
        case .destNamespace: return ([.destinationNamespace], true)
        case .sourceName: return ([.sourceName], true)
        case .destName: return ([.destinationName], true)
        case .sourceNameAggr: return ([.sourceNameAggr], true)
        case .destNameAggr: return ([.destinationNameAggr], true)
        case .sourceLabels: return ([.sourceLabelKeys, .sourceLabelValues], true)
        case .destLabels: return ([.destinationLabelKeys, .destinationLabelValues], true)
        case .destServiceNamespace, .destServiceName: return ([.destinationService], false)
        case .proto: return ([.ipProtocol], true)
        case .action: return ([.verdict], true)
        case .pendingAction: return ([.annotated] + decisions, false)
        case .reporter: return ([.annotated, .egressReporter, .ingressReporter], false)
        case .policies: return ([.annotated] + trace([.egress, .ingress]), false)
        case .pendingPolicies: return ([.annotated, .ingressReporter] + trace([.pendingEgress, .pendingIngress]), false)
        case .egressPolicies: return ([.annotated] + trace([.egress]), false)
        case .ingressPolicies: return ([.annotated] + trace([.ingress]), false)
        case .pendingEgressPolicies: return ([.annotated] + trace([.pendingEgress]), false)
        case .pendingIngressPolicies: return ([.annotated] + trace([.pendingIngress]), false)
        case .packetsIn, .packetsOut: return ([.annotated, .egressReporter, .ingressReporter, .packetsOut, .packetsIn], false)
        case .bytesIn, .bytesOut: return ([.annotated, .egressReporter, .ingressReporter, .bytesOut, .bytesIn], false)
        case .sourcePackets: return ([.packetsOut], true)
        case .destPackets: return ([.packetsIn], true)
        case .sourceBytes: return ([.bytesOut], true)
        case .destBytes: return ([.bytesIn], true)
        case .packets: return ([.packetsOut, .packetsIn], false)
        case .bytes: return ([.bytesOut, .bytesIn], false)
        case .host: return ([.node], true)
        case .vlan: return ([.vlan], true)
        case .tcpFlags: return ([.tcpFlagsOut, .tcpFlagsIn], false)
        // Not one-to-one: the printed list joins names with a character a name may hold.
        case .destDomains: return ([.destinationDomains], false)
        }
    }

    private static let totals = "count(), sum(packets_out + packets_in), sum(bytes_out + bytes_in), min(start_ns), max(start_ns)"

    /// The aggregate `--order` ranks groups by, and whether larger ranks first.
    private static func rankValue(_ order: ResultOrder) -> (String, descending: Bool) {
        switch order {
        case .flows, .stored: return ("count()", true)
        case .packets: return ("sum(packets_out + packets_in)", true)
        case .bytes: return ("sum(bytes_out + bytes_in)", true)
        case .time: return ("min(start_ns)", false)
        case .newest: return ("max(start_ns)", true)
        }
    }

    /// The aggregation's statements: an optional threshold query for `--top`, then the groups.
    func groupStatements(_ plan: QueryPlan, threshold: UInt64? = nil) -> (threshold: String?, groups: String) {
        let (columns, oneToOne) = Self.groupColumns(plan.groupBy)
        let names = FlowColumn.list(columns)
        let counters: [FlowColumn] = [.startNanoseconds, .packetsOut, .packetsIn, .bytesOut, .bytesIn]
        let needed = FlowColumn.list(FlowColumn.allCases.filter { columns.contains($0) || counters.contains($0) })
        // With --limit a local run stops after N matching flows in store order, then groups.
        let from = plan.limit == nil ? qualifiedTable : source(plan, columns: needed)
        let condition = plan.limit == nil ? " WHERE \(whereClause(plan))" : ""
        let (rank, descending) = Self.rankValue(plan.resultOrder)
        var thresholdSQL: String?
        if let top = plan.top, oneToOne {
            thresholdSQL = "SELECT v FROM (SELECT \(rank) AS v FROM \(from)\(condition) GROUP BY \(names))"
                + " ORDER BY v\(descending ? " DESC" : "") LIMIT 1 OFFSET \(top - 1) FORMAT RowBinary"
        }
        var sql = "SELECT \(names), \(Self.totals) FROM \(from)\(condition) GROUP BY \(names)"
        if let threshold { sql += " HAVING \(rank) \(descending ? ">=" : "<=") \(threshold)" }
        return (thresholdSQL, sql + " FORMAT RowBinary")
    }

    private func runGroups(_ plan: QueryPlan, writer: inout ExternalResultWriter, stats: inout Statistics) throws {
        var threshold: UInt64?
        if let thresholdSQL = groupStatements(plan).threshold {
            var reader = RowBinaryReader(try select(thresholdSQL, stats: &stats))
            if !reader.isAtEnd { threshold = try reader.uint64() }
        }
        let (columns, _) = Self.groupColumns(plan.groupBy)
        var reader = RowBinaryReader(try select(groupStatements(plan, threshold: threshold).groups, stats: &stats))
        var decoder = FlowRowDecoder(columns: columns)
        while !reader.isAtEnd {
            let representative = try decoder.decodeRow(&reader)
            var totals = FlowTotals(flows: try reader.uint64(), packets: try reader.uint64(), bytes: try reader.uint64())
            totals.firstStart = Timestamp(nanoseconds: try reader.uint64())
            totals.lastStart = Timestamp(nanoseconds: try reader.uint64())
            writer.add(group: representative, totals: totals)
            stats.rowsReturned += 1
        }
    }

    private func select(_ sql: String, stats: inout Statistics) throws -> [UInt8] {
        stats.statements += 1
        // The whole answer is computed before the 200 is sent, so an exception mid-query is an
        // error status, not a truncated body.
        return try client.execute(sql, settings: [("wait_end_of_query", "1")])
    }
}
