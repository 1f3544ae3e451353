import ArgumentParser

/// `flowlog export …`: copy stored records to another system.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Copy stored flows to another system: ClickHouse (exactly once) or SIEM sinks.",
        subcommands: [ExportClickHouseCommand.self, ExportSIEMCommand.self]
    )
}
