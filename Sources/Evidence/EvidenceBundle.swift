import Audit
import Crypto
import FlowCore

/// A period's evidence in one tar file, verifiable offline: the signed files whose time range
/// meets the period, every digest of each chain (they are small, and the links need them all),
/// the public key, and `BUNDLE.json` saying what the bundle holds.
///
/// ```text
/// flowlog-bundle/BUNDLE.json
/// flowlog-bundle/signing.pub
/// flowlog-bundle/flows/000000000007.seg …     flowlog-bundle/flows/evidence/*.digest
/// flowlog-bundle/audit/versions-….ndjson …    flowlog-bundle/audit/evidence/*.digest
/// ```
public enum EvidenceBundle {
    static let root = "flowlog-bundle"

    public struct Source: Sendable {
        public var store: EvidenceStoreKind
        public var directory: String
        public init(store: EvidenceStoreKind, directory: String) {
            self.store = store
            self.directory = directory
        }
    }

    public struct Summary: Sendable {
        public var files: [String] = []
        public var bytes: UInt64 = 0
        public var reports: [ChainReport] = []
    }

    /// Verifies each store, then writes the bundle. A store that does not verify is not bundled.
    public static func create(sources: [Source], since: Timestamp?, until: Timestamp?, publicKey: Curve25519.Signing.PublicKey,
                              output: String) throws -> Summary {
        var summary = Summary()
        let scope = ChainVerifier.BundleScope(since: since, until: until)
        var plan: [(Source, [String])] = []
        for source in sources {
            let report = try ChainVerifier.verify(store: source.store, directory: source.directory, publicKey: publicKey)
            summary.reports.append(report)
            guard report.passed else {
                throw FlowlogError(.validation, "the \(source.store.rawValue) store does not verify (\(report.errors.count) error(s): "
                                   + "\(report.errors.first!)); run flowlog verify", location: .init(file: source.directory))
            }
            let chain = try signedFiles(source)
            let chosen = chain.filter { scope.overlaps($0) }.map(\.name).filter { EvidenceFiles.exists(source.directory + "/" + $0) }
            plan.append((source, chosen))
        }
        let now = EvidenceRecorder.now()
        let mtime = now.seconds
        let writer = try TarArchive.Writer(path: output)
        try writer.addDirectory(root, mtime: mtime)
        var listing: [JSONValue] = []
        let manifestFiles = { (path: String, hash: String, bytes: UInt64) -> JSONValue in
            .object([.init("path", .string(path)), .init("sha256", .string(hash)), .init("bytes", .number(String(bytes)))])
        }
        for (source, files) in plan {
            let base = root + "/" + source.store.rawValue
            try writer.addDirectory(base, mtime: mtime)
            for name in files {
                let hashed = try EvidenceFiles.sha256(source.directory + "/" + name)
                try writer.addFile(base + "/" + name, from: source.directory + "/" + name, mtime: mtime)
                listing.append(manifestFiles(source.store.rawValue + "/" + name, hashed.hex, hashed.bytes))
                summary.files.append(base + "/" + name)
                summary.bytes += hashed.bytes
            }
            try writer.addDirectory(base + "/" + Digest.directoryName, mtime: mtime)
            let evidence = source.directory + "/" + Digest.directoryName
            for name in try EvidenceFiles.list(evidence) where name.hasSuffix(Digest.suffix) {
                let bytes = try EvidenceFiles.readAll(evidence + "/" + name, limit: 64 << 20)
                try writer.addFile(base + "/" + Digest.directoryName + "/" + name, bytes: bytes, mtime: mtime)
                listing.append(manifestFiles(source.store.rawValue + "/" + Digest.directoryName + "/" + name, Digest.sha256Hex(bytes), UInt64(bytes.count)))
                summary.files.append(base + "/" + Digest.directoryName + "/" + name)
            }
        }
        let manifest = JSONValue.object([
            .init("version", .number("1")),
            .init("created", .string(now.rfc3339)),
            .init("since", since.map { .string($0.rfc3339) } ?? .null),
            .init("until", until.map { .string($0.rfc3339) } ?? .null),
            .init("stores", .array(plan.map { .string($0.0.store.rawValue) })),
            .init("publicKeyFingerprint", .string(SigningKeys.fingerprint(publicKey))),
            .init("files", .array(listing)),
        ])
        try writer.addFile(root + "/BUNDLE.json", bytes: Array((manifest.prettyText() + "\n").utf8), mtime: mtime)
        try writer.addFile(root + "/signing.pub", bytes: Array(SigningKeys.pemText(publicKey).utf8), mtime: mtime)
        try writer.finish()
        return summary
    }

    /// The files a store's chain names and has not retired, with their time ranges.
    static func signedFiles(_ source: Source) throws -> [Digest.FileEntry] {
        let evidence = source.directory + "/" + Digest.directoryName
        guard EvidenceFiles.isDirectory(evidence) else { return [] }
        var named: [String: Digest.FileEntry] = [:]
        for name in try EvidenceFiles.list(evidence) where name.hasSuffix(Digest.suffix) {
            let signed = try SignedDigest(name: name, bytes: try EvidenceFiles.readAll(evidence + "/" + name, limit: 64 << 20))
            for entry in signed.digest.files { named[entry.name] = entry }
            for entry in signed.digest.retired { named[entry.name] = nil }
        }
        return named.values.sorted { $0.name < $1.name }
    }

    public struct Verification: Sendable {
        public var reports: [ChainReport]
        public var since: Timestamp?
        public var until: Timestamp?
        public var fingerprint: String
        public var usedBundledKey: Bool
        public var passed: Bool { reports.allSatisfy(\.passed) }
    }

    /// Extracts `archive` into `workDirectory` and verifies every store in it, against
    /// `publicKey` or, when nil, the key the bundle carries.
    public static func verify(archive: String, workDirectory: String, publicKey: Curve25519.Signing.PublicKey?) throws -> Verification {
        _ = try TarArchive.extract(archive, to: workDirectory)
        let base = workDirectory + "/" + root
        guard EvidenceFiles.exists(base + "/BUNDLE.json") else {
            throw FlowlogError(.corrupt, "not a flowlog bundle (no \(root)/BUNDLE.json)", location: .init(file: archive))
        }
        let manifest: JSONValue
        do {
            manifest = try JSONParser.parse(try EvidenceFiles.readAll(base + "/BUNDLE.json", limit: 256 << 20))
        } catch let failure as JSONParser.Failure {
            throw FlowlogError(.corrupt, "BUNDLE.json: \(failure)", location: .init(file: archive))
        }
        let key = try publicKey ?? SigningKeys.loadPublicKey(base + "/signing.pub")
        let since = manifest["since"]?.stringValue.flatMap { Timestamp(rfc3339: $0) }
        let until = manifest["until"]?.stringValue.flatMap { Timestamp(rfc3339: $0) }
        var reports: [ChainReport] = []
        for store in EvidenceStoreKind.allCases where EvidenceFiles.isDirectory(base + "/" + store.rawValue) {
            var report = try ChainVerifier.verify(store: store, directory: base + "/" + store.rawValue, publicKey: key,
                                                  scope: .init(since: since, until: until))
            report.directory = store.rawValue
            reports.append(report)
        }
        return Verification(reports: reports, since: since, until: until, fingerprint: SigningKeys.fingerprint(key),
                            usedBundledKey: publicKey == nil)
    }
}

extension EvidenceBundle {
    /// The public key file the recorder left beside the first store's chain.
    public static func publicKeyBeside(_ sources: [Source]) throws -> String {
        for source in sources {
            let evidence = source.directory + "/" + Digest.directoryName
            guard EvidenceFiles.isDirectory(evidence) else { continue }
            let keys = try EvidenceFiles.list(evidence).filter { $0.hasPrefix("signing-") && $0.hasSuffix(".pub") }
            if keys.count == 1 { return evidence + "/" + keys[0] }
            if keys.count > 1 {
                throw FlowlogError(.invalidArgument, "several public keys beside the chain (\(keys.joined(separator: ", "))); choose one with --public-key",
                                   location: .init(file: evidence))
            }
        }
        throw FlowlogError(.invalidArgument, "no public key beside the chain (is the store signed?); give --public-key")
    }
}
