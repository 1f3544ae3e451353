import Audit
import FlowCore

/// The `report_results` table: the compliance reports a node archived (`DATA/reports/<id>/`,
/// `flowlog report`), one row per item of each report's `report.json`, beside the flows so
/// that one query spans every node's reports.
///
/// An item is the report itself (`report`, index 0) or one object of an array of objects in it
/// (`endpoints`, `namespaces`, `services`, `flows.matrix`, `cisBenchmark.results`, …, by its
/// path from the top; index: its place in the array). An item's values are parallel arrays
/// `fields`/`values`: nested objects by dotted path (`calico.ingressProtected`), strings as
/// they are, numbers and booleans as their JSON text, null as "", and arrays (of an item's own)
/// as compact JSON text. The rule needs no column per report type, so every report type, and
/// fields added to reports later, arrive without a schema change; 18.16 reads a value with
/// `values[indexOf(fields, 'calico.ingressProtected')]`.
///
/// Not partitioned, as `audit_versions`: an INSERT is one part, all or nothing.
enum ReportResultTable {
    static let columns: [(name: String, type: String)] = [
        ("store_id", "String"), ("report_id", "String"), ("report_name", "String"), ("report_type", "String"),
        ("start_ns", "UInt64"), ("end_ns", "UInt64"), ("generated_ns", "UInt64"), ("digest", "String"),
        ("item", "String"), ("item_index", "UInt32"), ("fields", "Array(String)"), ("values", "Array(String)"),
    ]

    static var columnList: String { columns.map { SQLLiteral.identifier($0.name) }.joined(separator: ", ") }

    /// The CREATE TABLE (and on a cluster the Distributed table), in `schema`'s deployment.
    static func statements(_ schema: ClickHouseSchema, table: String) -> [String] {
        let body = columns.map { "    \(SQLLiteral.identifier($0.name)) \($0.type)" }
            + ["    `start` DateTime MATERIALIZED toDateTime(intDiv(start_ns, 1000000000))"]
        let local = schema.cluster == nil ? table : table + "_local"
        let engine = schema.replicated
            ? "ReplicatedMergeTree(\(SQLLiteral.string("/clickhouse/tables/{shard}/\(schema.database)/\(local)")), '{replica}')"
            : "MergeTree"
        var result = ["CREATE TABLE IF NOT EXISTS \(schema.qualified(local))\(schema.clusterClause)\n(\n"
            + body.joined(separator: ",\n") + "\n)\nENGINE = \(engine)\nORDER BY (report_name, start_ns, report_id, item, item_index)"]
        if let cluster = schema.cluster {
            result.append("CREATE TABLE IF NOT EXISTS \(schema.qualified(table))\(schema.clusterClause) AS \(schema.qualified(local))\n"
                + "ENGINE = Distributed(\(SQLLiteral.identifier(cluster)), \(SQLLiteral.identifier(schema.database)), "
                + "\(SQLLiteral.identifier(local)), cityHash64(report_id))")
        }
        return result
    }

    /// One item of a report.
    struct Item: Equatable {
        var name: String
        var index: Int
        var fields: [String] = []
        var values: [String] = []
    }

    /// The items of a report document: the report first, then each array's objects in
    /// document order.
    static func items(of document: JSONValue) -> [Item] {
        var root = Item(name: "report", index: 0)
        var items: [Item] = []
        collect(document, path: "", into: &root, splitting: true, items: &items)
        return [root] + items
    }

    /// Adds `value` to `item` under `path`. With `splitting` (outside any array), an array of
    /// objects becomes items of its own instead of a field.
    private static func collect(_ value: JSONValue, path: String, into item: inout Item, splitting: Bool, items: inout [Item]) {
        switch value {
        case .object(let members):
            for m in members {
                collect(m.value, path: path.isEmpty ? m.key : path + "." + m.key, into: &item, splitting: splitting, items: &items)
            }
        case .array(let elements) where splitting && !elements.isEmpty && elements.allSatisfy(isObject):
            for (i, element) in elements.enumerated() {
                var child = Item(name: path, index: i)
                collect(element, path: "", into: &child, splitting: false, items: &items)
                items.append(child)
            }
        default:
            item.fields.append(path)
            item.values.append(text(value))
        }
    }

    private static func isObject(_ value: JSONValue) -> Bool {
        if case .object = value { return true }
        return false
    }

    private static func text(_ value: JSONValue) -> String {
        switch value {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .number(let text): return text
        case .string(let s): return s
        case .array, .object: return value.compactText
        }
    }

    /// What a row carries besides its item.
    struct Report {
        var storeID: String
        var id: String
        var name: String
        var type: String
        var start: Timestamp
        var end: Timestamp
        var generated: Timestamp
        var digest: String
    }

    static func encode(_ item: Item, of report: Report, into w: inout RowBinaryWriter) {
        w.string(report.storeID)
        w.string(report.id)
        w.string(report.name)
        w.string(report.type)
        w.uint64(report.start.nanoseconds)
        w.uint64(report.end.nanoseconds)
        w.uint64(report.generated.nanoseconds)
        w.string(report.digest)
        w.string(item.name)
        w.uint32(UInt32(clamping: item.index))
        w.strings(item.fields)
        w.strings(item.values)
    }
}
