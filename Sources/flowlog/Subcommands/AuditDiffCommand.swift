import ArgumentParser
import Audit
import FlowCore

/// `flowlog audit diff KIND[/NAMESPACE]/NAME [--from N] [--to M] --audit DIR`.
struct AuditDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Unified YAML diff of two versions of one object (default: the last two).",
        discussion: """
            -o table prints the unified diff; json and yaml print both versions' metadata, the \
            RFC 6902 JSON Patch between them and the diff; ndjson and csv print the patch's \
            operations. A deleted version compares as an empty document.
            """
    )

    @Argument(help: ArgumentHelp("The object: KIND/NAME or KIND/NAMESPACE/NAME.", valueName: "object"))
    var object: String

    @Option(help: ArgumentHelp("The older version number (default: the one before --to).", valueName: "n"))
    var from: Int?

    @Option(help: ArgumentHelp("The newer version number (default: the latest).", valueName: "m"))
    var to: Int?

    @OptionGroup var options: AuditOptions

    func run() throws {
        let format = try options.format()
        let key = try objectKey(object)
        let versions = try options.history().versions(of: key)
        guard let latest = versions.last else { throw ValidationError("no versions of \(key) in \(options.audit)") }
        let newer = to ?? latest.version
        let older = from ?? newer - 1
        func find(_ number: Int, _ option: String) throws -> ObjectVersion {
            guard let version = versions.first(where: { $0.version == number }) else {
                throw ValidationError("\(option): \(key) has versions 1 to \(latest.version), not \(number)")
            }
            return version
        }
        guard older >= 1 else { throw ValidationError("\(key) has only one version; nothing to compare it with") }
        guard older < newer else { throw ValidationError("--from (\(older)) must be before --to (\(newer))") }
        let a = try find(older, "--from"), b = try find(newer, "--to")
        print(VersionDiff(from: a, to: b).render(format: format), terminator: "")
    }
}
