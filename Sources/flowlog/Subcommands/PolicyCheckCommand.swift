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
        print(ClusterSummary(loaded).text)
        for warning in loaded.warnings { PolicyDiagnostics.write("warning: \(warning)\n") }
        for error in errors { PolicyDiagnostics.write("error: \(error)\n") }
        if !errors.isEmpty {
            PolicyDiagnostics.write("\(errors.count) error\(errors.count == 1 ? "" : "s")\n")
            throw ExitCode(1)
        }
    }
}
