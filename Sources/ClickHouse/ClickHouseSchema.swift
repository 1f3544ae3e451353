/// The DDL of `flowlog clickhouse schema` and of the exporter's table creation.
///
/// One dialect for every server: the subset ClickHouse 18.16 (Debian 12) and current releases
/// both accept. `--ttl` is the one exception: table TTL needs ClickHouse 19.6 or later.
///
/// Partitioned by UTC day (retention drops whole days; an insert of one day's rows is one part,
/// which the exporter's exactly-once recovery relies on), ordered by hour, namespaces, verdict
/// and time: the common filters (`--since/--until`, `src.namespace`, `verdict deny`) read few
/// granules.
public struct ClickHouseSchema: Sendable, Equatable {
    public var database: String
    /// The table the rows live in (`flows`; on a cluster, the shard-local table `flows_local`).
    public var table: String
    /// Distributed deployment: the cluster name from the servers' `remote_servers`.
    public var cluster: String?
    public var replicated: Bool
    public var ttlDays: Int?
    /// With a cluster: emit `ON CLUSTER` (needs a distributed DDL queue: ZooKeeper or Keeper).
    /// Without, the statements are run on every node.
    public var onCluster: Bool

    public init(database: String = "flowlog", table: String? = nil, cluster: String? = nil, replicated: Bool = false,
                ttlDays: Int? = nil, onCluster: Bool = true) {
        self.database = database
        self.cluster = cluster
        self.table = table ?? (cluster == nil ? "flows" : "flows_local")
        self.replicated = replicated
        self.ttlDays = ttlDays
        self.onCluster = onCluster
    }

    /// The Distributed table's name on a cluster: the local name without `_local`, else `<table>_all`.
    public var distributedTable: String? {
        guard cluster != nil else { return nil }
        return table.hasSuffix("_local") ? String(table.dropLast("_local".count)) : table + "_all"
    }

    var clusterClause: String {
        guard let cluster, onCluster else { return "" }
        return " ON CLUSTER " + SQLLiteral.identifier(cluster)
    }

    func qualified(_ table: String) -> String { SQLLiteral.identifier(database) + "." + SQLLiteral.identifier(table) }

    /// The statements, in order (each one request on the HTTP interface).
    public var statements: [String] {
        var result = ["CREATE DATABASE IF NOT EXISTS \(SQLLiteral.identifier(database))\(clusterClause)"]
        let columns = FlowColumn.allCases.map { "    \(SQLLiteral.identifier($0.rawValue)) \($0.type)" }
            + ["    `start` DateTime MATERIALIZED toDateTime(intDiv(start_ns, 1000000000))"]
        let engine: String
        if replicated {
            let path = "/clickhouse/tables/{shard}/\(database)/\(table)"
            engine = "ReplicatedMergeTree(\(SQLLiteral.string(path)), '{replica}')"
        } else {
            engine = "MergeTree"
        }
        var create = "CREATE TABLE IF NOT EXISTS \(qualified(table))\(clusterClause)\n(\n"
            + columns.joined(separator: ",\n") + "\n)\nENGINE = \(engine)\n"
            + "PARTITION BY toYYYYMMDD(start, 'UTC')\n"
            + "ORDER BY (toStartOfHour(start), src_namespace, dst_namespace, verdict, start_ns)"
        if let ttlDays { create += "\nTTL start + INTERVAL \(ttlDays) DAY" }
        result.append(create)
        if let cluster, let distributed = distributedTable {
            result.append("CREATE TABLE IF NOT EXISTS \(qualified(distributed))\(clusterClause) AS \(qualified(table))\n"
                + "ENGINE = Distributed(\(SQLLiteral.identifier(cluster)), \(SQLLiteral.identifier(database)), "
                + "\(SQLLiteral.identifier(table)), cityHash64(src_addr, dst_addr))")
        }
        return result
    }

    /// Database, table and cluster names flowlog accepts: letters, digits and `_`, not starting
    /// with a digit (they are still back-quoted in SQL; this keeps checkpoint lines and file
    /// names plain).
    public static func isPlainName(_ s: String) -> Bool {
        guard let first = s.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first), s.utf8.count <= 128 else { return false }
        return s.utf8.allSatisfy { b in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: "_")
        }
    }

    /// The audit-versions table (`AuditVersionTable`), in the same deployment: on a cluster
    /// `<name>_local` on every shard and `<name>` over them.
    public func auditStatements(table: String = "audit_versions") -> [String] {
        [statements[0]] + AuditVersionTable.statements(self, table: table)
    }

    /// The report-results table (`ReportResultTable`), in the same deployment.
    public func reportStatements(table: String = "report_results") -> [String] {
        [statements[0]] + ReportResultTable.statements(self, table: table)
    }

    /// Every statement as a script for `clickhouse-client --multiquery`: the flows tables, then
    /// the audit-versions and the report-results tables.
    public var script: String {
        (statements + auditStatements().dropFirst() + reportStatements().dropFirst()).map { $0 + ";\n" }.joined(separator: "\n")
    }
}
