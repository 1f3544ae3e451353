#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import FlowCore
import Synchronization

/// Keeps a store's signed digest chain (`STORE/evidence/`): hashes every file the store seals,
/// and writes a digest at every seal, every retirement, and — through `digestIfDue` — at least
/// once per interval even when nothing was sealed, so the chain also vouches for quiet periods.
///
/// The store tells it about files through `SealObserver` and knows nothing else about it.
public final class EvidenceRecorder: SealObserver {
    public let store: EvidenceStoreKind
    public let directory: String
    public let fingerprint: String
    /// The private key's 32 raw bytes: swift-crypto's key type is not `Sendable`, bytes are.
    private let keyBytes: [UInt8]
    private let state: Mutex<ChainState>

    struct ChainState: Sendable {
        var last: Link?
        /// Sealed files named by a digest and not yet retired, with their hashes.
        var covered: [String: String] = [:]
        var highestCoveredSequence: UInt64?
        var digestsWritten = 0
    }

    struct Link: Sendable {
        var sequence: UInt64
        var file: String
        var bodyHash: String
        var signature: String
        var end: Timestamp
    }

    /// Opens the chain of `directory` (a flow data directory or an audit directory), continuing
    /// it from its newest digest.
    public init(store: EvidenceStoreKind, directory: String, signingKey: Curve25519.Signing.PrivateKey) throws {
        self.store = store
        self.directory = directory
        keyBytes = Array(signingKey.rawRepresentation)
        fingerprint = SigningKeys.fingerprint(signingKey.publicKey)
        let evidence = directory + "/" + Digest.directoryName
        try EvidenceFiles.createDirectory(evidence)
        var chain = ChainState()
        for name in try EvidenceFiles.list(evidence) {
            if name.hasSuffix(".tmp") {
                // A digest whose write a crash interrupted; it was never renamed into the chain.
                unlink(evidence + "/" + name)
                continue
            }
            guard name.hasSuffix(Digest.suffix) else { continue }
            let signed: SignedDigest
            do {
                signed = try SignedDigest(name: name, bytes: try EvidenceFiles.readAll(evidence + "/" + name, limit: 64 << 20))
            } catch let malformed as SignedDigest.Malformed {
                throw FlowlogError(.corrupt, "digest \(malformed); run flowlog verify", location: .init(file: evidence + "/" + name))
            }
            for file in signed.digest.files {
                chain.covered[file.name] = file.hash
                if let sequence = store.sealedSequence(file.name) {
                    chain.highestCoveredSequence = max(chain.highestCoveredSequence ?? 0, sequence)
                }
            }
            for retired in signed.digest.retired { chain.covered[retired.name] = nil }
            chain.last = Link(sequence: signed.digest.sequence, file: signed.digest.file, bodyHash: signed.bodyHash,
                              signature: signed.signature, end: signed.digest.end)
        }
        state = Mutex(chain)
        // The public key beside the chain, so a bundle can carry it; verify never trusts this
        // copy, only the key it is given.
        let keyFile = evidence + "/" + Self.publicKeyFileName(fingerprint: fingerprint)
        if !EvidenceFiles.exists(keyFile) {
            try EvidenceFiles.writeAtomically(keyFile, Array(SigningKeys.pemText(signingKey.publicKey).utf8), directory: evidence)
        }
    }

    /// `signing-<first 16 hex digits of the fingerprint>.pub`.
    public static func publicKeyFileName(fingerprint: String) -> String {
        "signing-" + fingerprint.prefix(16) + ".pub"
    }

    public convenience init(store: EvidenceStoreKind, directory: String, signingKeyPath: String) throws {
        try self.init(store: store, directory: directory, signingKey: SigningKeys.loadPrivateKey(signingKeyPath))
    }

    public var digestsWritten: Int { state.withLock { $0.digestsWritten } }

    // MARK: - SealObserver

    /// Signs sealed files no digest names yet and newer than every named one: sealed while
    /// nobody listened (a crash after the rename, recovery of an open file). Older unnamed
    /// files are not signed: they did not come from this chain's writer, and verify reports them.
    ///
    /// A chain starts when its store is first opened, before anything is sealed: the first
    /// digest is written then, even empty. Otherwise a crash between the first seal and its
    /// digest would leave a store that looks never signed (sealed files and no digest, which
    /// verify must call tampering) instead of one file not signed yet.
    public func storeOpened(directory: String) throws {
        try state.withLock { chain in
            var fresh: [Digest.FileEntry] = []
            for name in try EvidenceFiles.list(directory) {
                guard let sequence = store.sealedSequence(name), chain.covered[name] == nil,
                      sequence > chain.highestCoveredSequence ?? 0 else { continue }
                let hashed = try EvidenceFiles.sha256(directory + "/" + name)
                let now = Self.now()
                fresh.append(.init(name: name, hash: hashed.hex, bytes: hashed.bytes, oldest: now, newest: now))
            }
            if !fresh.isEmpty || chain.last == nil { try writeDigest(&chain, files: fresh, retired: []) }
        }
    }

    public func sealed(_ file: SealedFile, directory: String) throws {
        let hashed = try EvidenceFiles.sha256(directory + "/" + file.name)
        let entry = Digest.FileEntry(name: file.name, hash: hashed.hex, bytes: hashed.bytes, oldest: file.oldest, newest: file.newest)
        try state.withLock { try writeDigest(&$0, files: [entry], retired: []) }
    }

    public func retiring(_ names: [String], directory: String) throws {
        try state.withLock { chain in
            var retired: [Digest.RetiredEntry] = []
            for name in names {
                // A file the chain never named (sealed before signing was turned on) is listed
                // with its hash now, so its absence later is explained.
                let hash = try chain.covered[name] ?? EvidenceFiles.sha256(directory + "/" + name).hex
                retired.append(.init(name: name, hash: hash))
            }
            try writeDigest(&chain, files: [], retired: retired)
        }
    }

    /// Writes an empty digest when the newest is `interval` old or more (or there is none):
    /// the agent calls this on a timer.
    public func digestIfDue(interval: Duration) throws {
        try state.withLock { chain in
            let now = Self.now()
            if let last = chain.last, now.nanoseconds &- last.end.nanoseconds < UInt64(interval.components.seconds) * 1_000_000_000 {
                return
            }
            try writeDigest(&chain, files: [], retired: [])
        }
    }

    /// Nothing is buffered: every digest is on disk when its call returns. Kept for symmetry
    /// with the stores' `close()` and as the place a final checkpoint would go.
    public func close() throws {}

    // MARK: - Writing

    private func writeDigest(_ chain: inout ChainState, files: [Digest.FileEntry], retired: [Digest.RetiredEntry]) throws {
        let sequence = (chain.last?.sequence ?? 0) + 1
        var end = Self.now()
        if let last = chain.last, end < last.end { end = last.end }
        let start = chain.last?.end ?? files.map(\.oldest).min().map { min($0, end) } ?? end
        let name = Digest.fileName(sequence: sequence, end: end)
        let file = Digest.directoryName + "/" + name
        let digest = Digest(store: store, sequence: sequence, start: start, end: end, file: file, fingerprint: fingerprint,
                            previousFile: chain.last?.file, previousHash: chain.last?.bodyHash,
                            previousSignature: chain.last?.signature, files: files, retired: retired)
        let body = Array(digest.json.compactText.utf8)
        let bodyHash = Digest.sha256Hex(body)
        let message = Digest.stringToSign(end: end, file: file, bodyHash: bodyHash, previousSignature: chain.last?.signature)
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes)
        let signature = Hex.string(try key.signature(for: Array(message.utf8)))
        let evidence = directory + "/" + Digest.directoryName
        try EvidenceFiles.writeAtomically(evidence + "/" + name, body + Array("\n\(signature)\n".utf8), directory: evidence)
        for entry in files {
            chain.covered[entry.name] = entry.hash
            if let sequence = store.sealedSequence(entry.name) {
                chain.highestCoveredSequence = max(chain.highestCoveredSequence ?? 0, sequence)
            }
        }
        for entry in retired { chain.covered[entry.name] = nil }
        chain.last = Link(sequence: sequence, file: file, bodyHash: bodyHash, signature: signature, end: end)
        chain.digestsWritten += 1
    }

    static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: UInt64(ts.tv_sec), nanoseconds: UInt64(ts.tv_nsec))
    }
}
