#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Evidence
import FlowCore

/// `flowlog verify --data DIR [--audit DIR] --public-key FILE`, `flowlog verify --bundle FILE.tar`.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the signed digest chain and every signed file of a store or a bundle.",
        discussion: """
            Walks DIR/evidence: every digest numbered in order, linked to the one before by name, \
            SHA-256 and signature, and signed by the public key; then every file the chain names: \
            present, same length, same SHA-256. Fails, naming the file, on a changed, truncated, \
            extended, missing, renamed or extra sealed file, and on a missing, reordered, \
            replayed or re-signed digest or a gap in the chain. Files deleted by retention are \
            reported as retired; the open file (and one file sealed after the newest digest, \
            which a crash leaves) as unsigned; neither is an error. Exit status: 0 verified, 1 \
            tampering or damage found, 2 bad arguments.
            """
    )

    @Option(help: ArgumentHelp("A flow store directory.", valueName: "dir"))
    var data: String?

    @Option(help: ArgumentHelp("An audit store directory.", valueName: "dir"))
    var audit: String?

    @Option(help: ArgumentHelp("A bundle from flowlog bundle.", valueName: "file.tar"))
    var bundle: String?

    @Option(name: .customLong("public-key"), help: ArgumentHelp("The Ed25519 public key (signing.pub). Required for stores; for a bundle, defaults to the key inside it.", valueName: "file"))
    var publicKey: String?

    @Flag(help: "Print every finding, retired and unsigned files included (errors are always printed).")
    var verbose = false

    func validate() throws {
        if bundle != nil {
            if data != nil || audit != nil { throw ValidationError("--bundle verifies a bundle; leave out --data and --audit") }
        } else {
            if data == nil && audit == nil { throw ValidationError("give --data DIR, --audit DIR (or both), or --bundle FILE.tar") }
            if publicKey == nil { throw ValidationError("--public-key is required: the key you trust, not one found beside the data") }
        }
    }

    func run() throws {
        let key = try publicKey.map { try SigningKeys.loadPublicKey($0) }
        var reports: [ChainReport] = []
        if let bundle {
            let work = try temporaryDirectory()
            defer { removeTree(work) }
            let verification = try EvidenceBundle.verify(archive: bundle, workDirectory: work, publicKey: key)
            if verification.usedBundledKey {
                print("note: using the public key inside the bundle (fingerprint \(verification.fingerprint)); compare it with the key you trust, or pass --public-key")
            }
            print("bundle period: \(verification.since?.rfc3339 ?? "open") → \(verification.until?.rfc3339 ?? "open")")
            reports = verification.reports
        } else if let key {
            if let data { reports.append(try ChainVerifier.verify(store: .flows, directory: data, publicKey: key)) }
            if let audit { reports.append(try ChainVerifier.verify(store: .audit, directory: audit, publicKey: key)) }
        }
        var failed = false
        for report in reports {
            for finding in report.findings where verbose || finding.kind != .retired || report.findings.count <= 50 {
                print("\(report.store.rawValue): \(finding)")
            }
            let retired = report.findings.filter { $0.kind == .retired }.count
            let unsigned = report.findings.filter { $0.kind == .unsigned }.count
            if report.passed {
                print("\(report.store.rawValue): ok: \(report.digests) digest(s), \(report.filesVerified) file(s) verified, \(retired) retired, \(unsigned) unsigned")
            } else {
                failed = true
                print("\(report.store.rawValue): FAILED: \(report.errors.count) error(s); \(report.digests) digest(s), \(report.filesVerified) file(s) verified")
            }
            if verbose, let end = report.chainEnd {
                print("\(report.store.rawValue): \(report.bytesVerified) bytes hashed; the chain ends \(end.rfc3339)")
            }
        }
        if failed { throw ExitCode(1) }
    }

    private func temporaryDirectory() throws -> String {
        var template = Array("/tmp/flowlog-bundle-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw FlowlogError(.io, "cannot create a temporary directory", call: "mkdtemp") }
        return String(cString: made)
    }
}

/// Removes a directory tree this process made (bundle extraction).
func removeTree(_ path: String) {
    guard let handle = opendir(path) else {
        unlink(path)
        return
    }
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name == "." || name == ".." { continue }
        let child = path + "/" + name
        var status = stat()
        if lstat(child, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR { removeTree(child) } else { unlink(child) }
    }
    closedir(handle)
    rmdir(path)
}
