import ArgumentParser

/// `flowlog store …`: look after a store directory.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Inspect and check a flow store directory (segments written by replay or the agent).",
        subcommands: [StoreInfo.self, StoreVerify.self]
    )
}
