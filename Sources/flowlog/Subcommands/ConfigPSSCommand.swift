import ArgumentParser
import ConfigAudit
import FlowCore

/// `flowlog config pss`: exit 0 when every object is allowed, 1 when any is not, 2 when input is unreadable.
struct ConfigPSSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pss",
        abstract: "Judge Pods and pod templates against the Pod Security Standards as pod-security-admission does.",
        discussion: "Without --level, each object is judged at its namespace's pod-security.kubernetes.io/enforce label. Exit 0: all allowed; 1: some denied; 2: unreadable input."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(name: .long, help: "baseline or restricted (default: each namespace's enforce level).")
    var level: String?

    @Option(name: .long, help: "Policy version: v1.0 … v1.37 or latest (default: latest, or the namespace's enforce-version).")
    var version: String?

    @Option(name: .long, help: "text, or json (one object per line).")
    var format: Format = .text

    @Argument(help: "Manifest files or directories (YAML/JSON, multi-document, List).")
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one FILE_OR_DIR") }
        if let level, level != "baseline", level != "restricted" { throw ValidationError("--level must be baseline or restricted, not '\(level)'") }
        if let version, PodSecurityVersion(label: version) == nil { throw ValidationError("--version must be latest or v1.N, not '\(version)'") }
    }

    func run() throws {
        let parsedVersion = version.flatMap(PodSecurityVersion.init(label:))
        let policy = level.flatMap(PodSecurityLevel.init(label:)).map { PodSecurityPolicy(level: $0, version: parsedVersion ?? .latest) }
        let audit = PodSecurityAudit(paths: paths, policy: policy, version: policy == nil ? parsedVersion : nil)
        switch format {
        case .json:
            for result in audit.results { print(PodSecurityReport.jsonLine(result)) }
        case .text:
            print(PodSecurityReport.text(audit))
        }
        for error in audit.errors { Diagnostics.error("\(error)") }
        if !audit.errors.isEmpty { throw ExitCode(2) }
        if audit.results.contains(where: { !$0.allowed }) { throw ExitCode(1) }
    }
}
