import ArgumentParser
import Evidence
import FlowCore

/// `flowlog bundle --data DIR --audit DIR --since T --until T -o FILE.tar`.
struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Pack a period's signed segments, audit files, digests and public key into one tar file.",
        discussion: """
            Each store is verified first; one that fails is not bundled. The bundle holds the \
            signed files whose time range meets [--since, --until), every digest of each chain and \
            the public key, and verifies offline with `flowlog verify --bundle FILE.tar`. The key \
            is the one beside the chain (DIR/evidence/signing-*.pub) unless --public-key names one.
            """
    )

    @Option(help: ArgumentHelp("A flow store directory.", valueName: "dir"))
    var data: String?

    @Option(help: ArgumentHelp("An audit store directory.", valueName: "dir"))
    var audit: String?

    @Option(help: ArgumentHelp("Period start: RFC 3339 or back from now (7d).", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Period end (same forms).", valueName: "time"))
    var until: String?

    @Option(name: .customLong("public-key"), help: ArgumentHelp("The public key to verify with and include.", valueName: "file"))
    var publicKey: String?

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The bundle to write.", valueName: "file.tar"))
    var output: String

    func validate() throws {
        if data == nil && audit == nil { throw ValidationError("give --data DIR, --audit DIR or both") }
    }

    func run() throws {
        let sinceTime = try since.map { try parseAuditTime($0, option: "--since") }
        let untilTime = try until.map { try parseAuditTime($0, option: "--until") }
        if let sinceTime, let untilTime, sinceTime >= untilTime { throw ValidationError("--since must be before --until") }
        var sources: [EvidenceBundle.Source] = []
        if let data { sources.append(.init(store: .flows, directory: data)) }
        if let audit { sources.append(.init(store: .audit, directory: audit)) }
        let keyPath = try publicKey ?? EvidenceBundle.publicKeyBeside(sources)
        let summary = try EvidenceBundle.create(sources: sources, since: sinceTime, until: untilTime,
                                                publicKey: SigningKeys.loadPublicKey(keyPath), output: output)
        print("\(output): \(summary.files.count) file(s); verify with: flowlog verify --bundle \(output)")
    }
}
