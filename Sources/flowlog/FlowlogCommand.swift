import ArgumentParser

@main
struct FlowlogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flowlog",
        abstract: "Packets to bidirectional flows, annotated with Calico policy verdicts, stored and queried.",
        subcommands: [PolicyCommand.self, SelectorCommand.self, StoreCommand.self, QueryCommand.self]
    )
}
