import Audit
import FlowCore

/// The `audit_versions` table: one row per stored version of a cluster object (what
/// `flowlog audit ingest` keeps), beside the flows so that "which policy was in force when this
/// flow was denied" is one join. The object and its patch travel as their compact JSON text.
///
/// Not partitioned: audit volumes are small, and without partitions an INSERT is always one
/// part, all or nothing, which the exporter's exactly-once settling relies on.
enum AuditVersionTable {
    static let columns: [(name: String, type: String)] = [
        ("store_id", "String"), ("sequence", "UInt64"),
        ("time_ns", "UInt64"), ("received_ns", "UInt64"),
        ("object_ref", "String"), ("resource", "String"), ("api_group", "String"), ("namespace", "String"), ("name", "String"),
        ("version", "UInt32"), ("verb", "String"), ("subresource", "String"),
        ("audit_id", "String"), ("response_code", "Int32"),
        ("user", "String"), ("user_groups", "Array(String)"), ("source_ip", "String"), ("user_agent", "String"), ("node", "String"),
        ("cause", "String"), ("resource_version", "String"), ("hash", "String"), ("previous_hash", "String"),
        ("patch", "String"), ("object", "String"),
    ]

    static var columnList: String { columns.map(\.name).joined(separator: ", ") }

    /// The CREATE TABLE (and on a cluster the Distributed table), in `schema`'s deployment.
    static func statements(_ schema: ClickHouseSchema, table: String) -> [String] {
        let body = columns.map { "    \(SQLLiteral.identifier($0.name)) \($0.type)" }
            + ["    `time` DateTime MATERIALIZED toDateTime(intDiv(time_ns, 1000000000))"]
        let local = schema.cluster == nil ? table : table + "_local"
        let engine = schema.replicated
            ? "ReplicatedMergeTree(\(SQLLiteral.string("/clickhouse/tables/{shard}/\(schema.database)/\(local)")), '{replica}')"
            : "MergeTree"
        var result = ["CREATE TABLE IF NOT EXISTS \(schema.qualified(local))\(schema.clusterClause)\n(\n"
            + body.joined(separator: ",\n") + "\n)\nENGINE = \(engine)\nORDER BY (namespace, resource, name, sequence)"]
        if let cluster = schema.cluster {
            result.append("CREATE TABLE IF NOT EXISTS \(schema.qualified(table))\(schema.clusterClause) AS \(schema.qualified(local))\n"
                + "ENGINE = Distributed(\(SQLLiteral.identifier(cluster)), \(SQLLiteral.identifier(schema.database)), "
                + "\(SQLLiteral.identifier(local)), cityHash64(object_ref))")
        }
        return result
    }

    static func encode(_ v: ObjectVersion, storeID: String, into w: inout RowBinaryWriter) {
        w.string(storeID)
        w.uint64(v.sequence)
        w.uint64(v.time.nanoseconds)
        w.uint64(v.received?.nanoseconds ?? 0)
        w.string(v.key.description)
        w.string(v.key.resource.resource)
        w.string(v.key.resource.group)
        w.string(v.key.namespace)
        w.string(v.key.name)
        w.uint32(UInt32(clamping: v.version))
        w.string(v.verb)
        w.string(v.subresource)
        w.string(v.auditID)
        w.int32(Int32(clamping: v.responseCode ?? 0))
        w.string(v.author.username)
        w.strings(v.author.groups)
        w.string(v.author.sourceIP)
        w.string(v.author.userAgent)
        w.string(v.author.node)
        w.string(v.cause.description)
        w.string(v.resourceVersion)
        w.string(v.hash)
        w.string(v.previousHash ?? "")
        w.string(v.patch?.compactText ?? "")
        w.string(v.object?.compactText ?? "")
    }
}
