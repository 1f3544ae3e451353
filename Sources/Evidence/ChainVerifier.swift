import Crypto
import FlowCore

/// What `verify` found in one store.
public struct ChainReport: Sendable {
    public struct Finding: Sendable, CustomStringConvertible {
        public enum Kind: String, Sendable {
            /// Tampering or damage: verify fails.
            case error
            /// Deleted by retention, as a digest announced: not tampering.
            case retired
            /// Not signed yet (the open file, or sealed after the newest digest): not an error.
            case unsigned
        }
        public var kind: Kind
        /// The file concerned, relative to the store directory.
        public var file: String
        public var message: String
        public var description: String { "\(kind.rawValue): \(file): \(message)" }
    }

    public var store: EvidenceStoreKind
    public var directory: String
    public var digests = 0
    public var filesVerified = 0
    public var bytesVerified: UInt64 = 0
    public var chainEnd: Timestamp?
    public var findings: [Finding] = []

    public var errors: [Finding] { findings.filter { $0.kind == .error } }
    public var passed: Bool { errors.isEmpty }

    mutating func add(_ kind: Finding.Kind, _ file: String, _ message: String) {
        findings.append(Finding(kind: kind, file: file, message: message))
    }
}

/// Walks a store's digest chain and checks every file it names against the directory.
///
/// Chain: digests sorted by name must be numbered 1, 2, 3…, each naming its own file, each
/// linked to the one before by name, hash and signature, each signed by the given key. Files:
/// every named file must be present with its length and SHA-256, unless a later digest retired
/// it; every sealed file present must be named by a digest, except files newer than the newest
/// digest, which are reported as unsigned, as is the open file.
public enum ChainVerifier {
    /// Limits the file checks to a bundle's period: named files outside it may be absent.
    public struct BundleScope: Sendable {
        public var since: Timestamp?
        public var until: Timestamp?
        public init(since: Timestamp?, until: Timestamp?) {
            self.since = since
            self.until = until
        }

        func overlaps(_ entry: Digest.FileEntry) -> Bool {
            if let since, entry.newest < since { return false }
            if let until, entry.oldest >= until { return false }
            return true
        }
    }

    public static func verify(store: EvidenceStoreKind, directory: String, publicKey: Curve25519.Signing.PublicKey,
                              scope: BundleScope? = nil) throws -> ChainReport {
        var report = ChainReport(store: store, directory: directory)
        let evidence = directory + "/" + Digest.directoryName
        let fingerprint = SigningKeys.fingerprint(publicKey)
        let names = EvidenceFiles.isDirectory(evidence) ? try EvidenceFiles.list(evidence) : []
        var previous: SignedDigest?
        var expected: UInt64 = 1
        /// Named files not (yet) retired: name → (entry, digest file).
        var named: [String: (entry: Digest.FileEntry, digest: String)] = [:]
        var retired: [String: String] = [:]
        var highestNamed: UInt64 = 0

        for name in names {
            let path = Digest.directoryName + "/" + name
            guard name.hasSuffix(Digest.suffix) else {
                if !name.hasSuffix(".tmp") && !name.hasSuffix(".pub") { report.add(.error, path, "not a digest file: nothing else belongs in \(Digest.directoryName)/") }
                continue
            }
            let signed: SignedDigest
            do {
                signed = try SignedDigest(name: name, bytes: try EvidenceFiles.readAll(evidence + "/" + name, limit: 64 << 20))
            } catch let malformed as SignedDigest.Malformed {
                report.add(.error, path, "malformed digest: \(malformed)")
                continue
            }
            report.digests += 1
            let digest = signed.digest
            if digest.file != path {
                report.add(.error, path, "the digest names itself \(digest.file): renamed, reordered or replayed")
            }
            if digest.store != store {
                report.add(.error, path, "a digest of the \(digest.store.rawValue) store, not the \(store.rawValue) store")
            }
            if digest.sequence > expected {
                report.add(.error, path, "gap in the chain: digest \(digest.sequence) follows digest \(expected - 1); \(digest.sequence - expected) missing")
            } else if digest.sequence < expected {
                report.add(.error, path, "digest \(digest.sequence) appears after digest \(expected - 1): reordered or replayed")
            }
            if digest.fingerprint != fingerprint {
                report.add(.error, path, "signed with another key (fingerprint \(digest.fingerprint), expected \(fingerprint)): re-signed")
            } else if !signed.isSigned(by: publicKey) {
                report.add(.error, path, "the signature does not match: the digest was changed or re-signed")
            }
            if let previous {
                if digest.previousFile != previous.digest.file || digest.previousHash != previous.bodyHash
                    || digest.previousSignature != previous.signature {
                    report.add(.error, path, "does not link to \(Digest.directoryName)/\(previous.name) (previous name, hash or signature differ): a digest was removed, replaced or reordered")
                }
                if digest.end < previous.digest.end {
                    report.add(.error, path, "ends before the digest it follows: reordered or replayed")
                }
            } else if digest.previousFile != nil || digest.previousHash != nil || digest.previousSignature != nil {
                report.add(.error, path, "links to \(digest.previousFile ?? "a previous digest"), which is missing: the start of the chain was removed")
            }
            for entry in digest.files {
                if let earlier = named[entry.name] {
                    report.add(.error, path, "names \(entry.name) again (first in \(earlier.digest)): replayed")
                }
                named[entry.name] = (entry, path)
                if let sequence = store.sealedSequence(entry.name) { highestNamed = max(highestNamed, sequence) }
            }
            for entry in digest.retired {
                retired[entry.name] = path
                named[entry.name] = nil
            }
            expected = max(expected, digest.sequence) + 1
            report.chainEnd = digest.end
            previous = signed
        }

        // The files themselves.
        let present = try EvidenceFiles.list(directory)
        var unexplained: [String] = []
        var presentSet = Set<String>()
        for name in present {
            if store.isOpenFile(name) {
                report.add(.unsigned, name, "open file, still being written: not signed yet")
                continue
            }
            guard store.sealedSequence(name) != nil else { continue }
            presentSet.insert(name)
            if named[name] == nil {
                if let digest = retired[name] {
                    report.add(.retired, name, "retired by retention (\(digest)) but still present")
                } else {
                    unexplained.append(name)
                }
            }
        }
        var missing: [String: (hash: String, digest: String)] = [:]
        var toHash: [(name: String, entry: Digest.FileEntry, digest: String)] = []
        for (name, record) in named.sorted(by: { $0.key < $1.key }) {
            guard presentSet.contains(name) else {
                if let scope, !scope.overlaps(record.entry) { continue }
                missing[name] = (record.entry.hash, record.digest)
                continue
            }
            let size = EvidenceFiles.size(directory + "/" + name) ?? 0
            if size != record.entry.bytes {
                let how = size > record.entry.bytes ? "extended" : "truncated"
                report.add(.error, name, "\(how): \(size) bytes, signed with \(record.entry.bytes) (\(record.digest))")
                continue
            }
            toHash.append((name, record.entry, record.digest))
        }
        let hashes = try FileHashing.sha256(toHash.map { directory + "/" + $0.name })
        for (file, hashed) in zip(toHash, hashes) {
            report.bytesVerified += hashed.bytes
            if hashed.hex != file.entry.hash {
                report.add(.error, file.name, "changed: SHA-256 \(hashed.hex), signed \(file.entry.hash) (\(file.digest))")
            } else {
                report.filesVerified += 1
            }
        }
        for name in retired.keys.sorted() where !presentSet.contains(name) {
            report.add(.retired, name, "deleted by retention, as \(retired[name]!) announced")
        }
        var afterNewest: [String] = []
        for name in unexplained {
            let hash = try EvidenceFiles.sha256(directory + "/" + name).hex
            if let original = missing.first(where: { $0.value.hash == hash }) {
                report.add(.error, name, "renamed: it is \(original.key), signed in \(original.value.digest)")
                missing[original.key] = nil
            } else if let sequence = store.sealedSequence(name), sequence > highestNamed, scope == nil {
                afterNewest.append(name)
            } else {
                report.add(.error, name, "extra file: sealed, but named by no digest")
            }
        }
        // The writer signs each file as it seals it, so only a crash between the two leaves a
        // sealed file unsigned — one at most, signed when the store is next opened. More than
        // one means digests that named them were removed from the end of the chain.
        if afterNewest.count == 1 {
            report.add(.unsigned, afterNewest[0], "sealed after the newest digest: not signed yet (a crash between sealing and signing; the writer signs it when it next opens the store)")
        } else {
            for name in afterNewest {
                report.add(.error, name, "sealed after the newest digest, with \(afterNewest.count - 1) other(s): the newest digests are missing")
            }
        }
        for (name, record) in missing.sorted(by: { $0.key < $1.key }) {
            report.add(.error, name, scope == nil ? "missing: signed in \(record.digest) and never retired"
                                                  : "missing from the bundle: signed in \(record.digest), inside the bundle's period")
        }
        if report.digests == 0 && !presentSet.isEmpty {
            report.add(.error, Digest.directoryName, "no digests, but \(presentSet.count) sealed file(s): the store was never signed or its chain was removed")
        }
        return report
    }
}
