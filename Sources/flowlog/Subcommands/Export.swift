import ArgumentParser

/// `flowlog export …`: copy stored flows to another system.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Copy stored flows to another system, exactly once.",
        subcommands: [ExportClickHouseCommand.self]
    )
}
