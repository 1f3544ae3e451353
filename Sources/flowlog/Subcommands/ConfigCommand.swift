import ArgumentParser

/// `flowlog config pss|cis`: configuration audits over cluster manifests.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Audit cluster configuration: Pod Security Standards, CIS Kubernetes Benchmark.",
        subcommands: [ConfigPSSCommand.self, ConfigCISCommand.self]
    )
}
