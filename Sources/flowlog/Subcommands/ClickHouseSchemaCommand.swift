import ArgumentParser
import ClickHouse

/// `flowlog clickhouse schema`: prints the DDL of the flows tables.
struct ClickHouseSchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the DDL of the ClickHouse flows tables.",
        discussion: """
            Single node: database flowlog, table flows (MergeTree, partitioned by UTC day). With \
            --cluster: the shard-local table flows_local on every node and the Distributed table \
            flows over it, created ON CLUSTER (that needs ZooKeeper or ClickHouse Keeper; with \
            --no-on-cluster, run the statements on each node instead). --replicated makes the \
            local table a ReplicatedMergeTree using the servers' {shard} and {replica} macros. \
            The statements run on ClickHouse 18.16 (Debian 12) and current releases; --ttl needs \
            19.6 or later. Pipe the output to `clickhouse-client --multiquery`.
            """
    )

    @Option(help: ArgumentHelp("Cluster name from the servers' remote_servers.", valueName: "name"))
    var cluster: String?

    @Flag(help: "ReplicatedMergeTree instead of MergeTree.")
    var replicated = false

    @Option(help: ArgumentHelp("Drop rows this many days after the flow started (ClickHouse 19.6+).", valueName: "days"))
    var ttl: Int?

    @Option(help: ArgumentHelp("Database.", valueName: "name"))
    var database = "flowlog"

    @Option(help: ArgumentHelp("Table holding the rows (default flows, or flows_local with --cluster).", valueName: "name"))
    var table: String?

    @Flag(name: .customLong("no-on-cluster"), help: "With --cluster: statements for each node, without ON CLUSTER.")
    var noOnCluster = false

    func validate() throws {
        if let ttl, ttl <= 0 || ttl > 100_000 { throw ValidationError("--ttl needs a number of days from 1 to 100000") }
        if noOnCluster && cluster == nil { throw ValidationError("--no-on-cluster needs --cluster") }
        for (flag, name) in [("--database", database), ("--table", table), ("--cluster", cluster)] {
            if let name, !ClickHouseSchema.isPlainName(name) {
                throw ValidationError("\(flag): '\(name)' is not a plain name (letters, digits, _; not starting with a digit)")
            }
        }
    }

    func run() throws {
        let schema = ClickHouseSchema(database: database, table: table, cluster: cluster, replicated: replicated, ttlDays: ttl,
                                      onCluster: !noOnCluster)
        print(schema.script, terminator: "")
    }
}
