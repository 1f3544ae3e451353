import ArgumentParser
import Evidence

/// `flowlog keys generate DIR`.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage the Ed25519 keys that sign the evidence chain.",
        subcommands: [KeysGenerateCommand.self]
    )
}

struct KeysGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a new Ed25519 key pair: DIR/signing.key (mode 0600) and DIR/signing.pub.",
        discussion: """
            PEM files OpenSSL also reads (PKCS#8 and SubjectPublicKeyInfo). Give signing.key to \
            replay, agent and audit ingest (--signing-key); give signing.pub to verify \
            (--public-key), ideally from a copy kept away from the node. Existing keys are never \
            overwritten.
            """
    )

    @Argument(help: ArgumentHelp("Directory for the key files (created if needed).", valueName: "dir"))
    var directory: String

    func run() throws {
        let written = try SigningKeys.generate(into: directory)
        // The fingerprint is left out: `verify` names it, and a doc example's output stays the same.
        print("private key: \(written.privateKey)")
        print("public key:  \(written.publicKey)")
    }
}
