import ArgumentParser

/// `flowlog clickhouse …`: the ClickHouse side of cluster-wide flow storage.
struct ClickHouseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clickhouse",
        abstract: "ClickHouse tables for flows exported from every node (see docs/clickhouse.md).",
        subcommands: [ClickHouseSchemaCommand.self]
    )
}
