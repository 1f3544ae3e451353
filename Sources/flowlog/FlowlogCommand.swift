import ArgumentParser

@main
struct FlowlogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flowlog",
        abstract: "Packets to bidirectional flows, annotated with Calico policy verdicts, stored and queried.",
        subcommands: [Replay.self, Agent.self, PolicyCommand.self, SelectorCommand.self, StoreCommand.self, QueryCommand.self,
                      ExportCommand.self, ClickHouseCommand.self]
    )
}
