import ArgumentParser
import FlowCore
import Policy

/// `flowlog policy explain|check`.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Decide a connection against cluster manifests, or validate them.",
        subcommands: [PolicyExplainCommand.self, PolicyCheckCommand.self]
    )
}

enum PolicyOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Loads the cluster or prints every error and exits with the bad-input status.
func loadClusterOrExit(_ paths: [String]) throws -> Cluster {
    do {
        return try ClusterLoader.load(paths: paths)
    } catch let error as ClusterLoadError {
        Diagnostics.error("\(error)")
        throw ExitStatus.badInput.exitCode
    }
}
