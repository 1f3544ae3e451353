import ArgumentParser
import FlowCore
import Policy

struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate cluster manifests, list every error, and summarise tiers, policies, endpoints and sets."
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Manifest files or directories.")
    var cluster: [String]

    func validate() throws {
        if cluster.isEmpty { throw ValidationError("--cluster needs at least one file or directory") }
    }

    func run() throws {
        let (loaded, errors) = ClusterLoader.inspect(paths: cluster)
        let missing = errors.filter { $0.code == .fileNotFound }
        // A path that does not exist answers nothing about the cluster: no summary of what
        // happened to load from the others.
        if missing.isEmpty { print(ClusterSummary(loaded).text) }
        for warning in loaded.warnings { Diagnostics.warning("\(warning)") }
        for error in errors { Diagnostics.error("\(error)") }
        if !missing.isEmpty { throw ExitStatus.failure.exitCode }
        if !errors.isEmpty {
            Diagnostics.note("\(errors.count) error\(errors.count == 1 ? "" : "s") in the manifests")
            throw ExitStatus.badInput.exitCode
        }
    }
}
