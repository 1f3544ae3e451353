import Crypto
import FlowCore
import FlowTestSupport
import Foundation
import SegmentStore
import Testing
@testable import Evidence

/// Every tamper case of the issue, each on a fresh copy of one signed store.
@Suite("Tamper evidence")
struct TamperTests {
    static let store: String = try! SignedStores.flowStore()

    static func damaged(_ damage: (String) throws -> Void) throws -> ChainReport {
        let copy = try SignedStores.copy(store)
        try damage(copy)
        return try SignedStores.verify(copy)
    }

    static func segments(_ directory: String) throws -> [String] { try SignedStores.names(directory, suffix: ".seg") }
    static func digests(_ directory: String) throws -> [String] {
        try SignedStores.names(directory + "/evidence", suffix: ".digest").map { "evidence/" + $0 }
    }

    static func append(_ path: String, _ bytes: [UInt8]) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(bytes))
        try handle.close()
    }

    @Test("a clean store verifies, every sealed segment named and hashed")
    func clean() throws {
        let report = try SignedStores.verify(Self.store)
        #expect(report.passed, "\(report.findings)")
        let segments = try Self.segments(Self.store)
        #expect(segments.count >= 4)
        #expect(report.filesVerified == segments.count)
        // The chain's first digest, written when the store opened, and one at every seal.
        #expect(report.digests == segments.count + 1)
    }

    @Test("a changed byte", arguments: [0, 1, 2])
    func changed(index: Int) throws {
        var target = ""
        let report = try Self.damaged { dir in
            target = try Self.segments(dir)[index]
            let path = dir + "/" + target
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[bytes.count / 2] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        #expect(report.errors.map(\.file) == [target])
        #expect(report.errors.first?.message.hasPrefix("changed") == true)
    }

    @Test("two changed files are both reported, in name order, with the others verified")
    func twoChanged() throws {
        var targets: [String] = []
        let report = try Self.damaged { dir in
            let segments = try Self.segments(dir)
            targets = [segments[2], segments[0]]
            for name in targets {
                let path = dir + "/" + name
                var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
                bytes[bytes.count / 3] ^= 0x80
                try Data(bytes).write(to: URL(fileURLWithPath: path))
            }
        }
        #expect(report.errors.map(\.file) == targets.sorted())
        #expect(report.filesVerified == (try Self.segments(Self.store)).count - 2)
    }

    @Test("files hashed side by side: each its own SHA-256 and length, in the order given; the first unreadable one is the error")
    func sideBySideHashing() throws {
        let dir = try SignedStores.copy(Self.store)
        var paths = try Self.segments(dir).map { dir + "/" + $0 }
        // Sizes from empty to several read buffers, so workers finish out of order.
        for (i, size) in [0, 1, 1 << 20, 3 << 20 + 17, 4_095].enumerated() {
            let path = dir + "/extra-\(i)"
            var bytes = [UInt8](repeating: 0, count: size)
            for j in bytes.indices { bytes[j] = UInt8(truncatingIfNeeded: j &* 31 &+ i) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            paths.insert(path, at: (i * 3) % (paths.count + 1))
        }
        let together = try FileHashing.sha256(paths)
        let oneByOne = try paths.map(EvidenceFiles.sha256)
        #expect(together.map(\.hex) == oneByOne.map(\.hex))
        #expect(together.map(\.bytes) == oneByOne.map(\.bytes))
        #expect(together.map(\.hex).contains(Digest.sha256Hex([])))

        let withMissing = paths + [dir + "/absent-b", dir + "/absent-a"]
        do {
            _ = try FileHashing.sha256(withMissing)
            Issue.record("a missing file was hashed")
        } catch {
            #expect("\(error)".contains("absent-b"), "\(error)")
        }
    }

    @Test("a truncated file")
    func truncated() throws {
        let report = try Self.damaged { dir in
            let path = dir + "/" + (try Self.segments(dir)[1])
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            try handle.truncate(atOffset: try handle.seekToEnd() - 100)
            try handle.close()
        }
        #expect(report.errors.count == 1)
        #expect(report.errors.first?.message.hasPrefix("truncated") == true)
    }

    @Test("an extended file")
    func extended() throws {
        let report = try Self.damaged { dir in try Self.append(dir + "/" + (try Self.segments(dir)[0]), [1, 2, 3]) }
        #expect(report.errors.count == 1)
        #expect(report.errors.first?.message.hasPrefix("extended") == true)
    }

    @Test("a missing file")
    func missing() throws {
        var target = ""
        let report = try Self.damaged { dir in
            target = try Self.segments(dir)[1]
            try FileManager.default.removeItem(atPath: dir + "/" + target)
        }
        #expect(report.errors.map(\.file) == [target])
        #expect(report.errors.first?.message.hasPrefix("missing") == true)
    }

    @Test("a renamed file")
    func renamed() throws {
        var original = ""
        let report = try Self.damaged { dir in
            original = try Self.segments(dir)[1]
            try FileManager.default.moveItem(atPath: dir + "/" + original, toPath: dir + "/000000000777.seg")
        }
        #expect(report.errors.map(\.file) == ["000000000777.seg"])
        // Digest 0 starts the chain; digest k signs segment k - 1.
        #expect(report.errors.first?.message == "renamed: it is \(original), signed in \(try Self.digests(Self.store)[2])")
    }

    @Test("an extra sealed file among the signed ones")
    func extra() throws {
        let report = try Self.damaged { dir in
            try FileManager.default.copyItem(atPath: dir + "/" + (try Self.segments(dir)[0]), toPath: dir + "/000000000000.seg")
            try Self.append(dir + "/000000000000.seg", [0])
        }
        #expect(report.errors.map(\.file) == ["000000000000.seg"])
        #expect(report.errors.first?.message.hasPrefix("extra file") == true)
    }

    @Test("a missing digest in the middle: a gap")
    func missingDigest() throws {
        let report = try Self.damaged { dir in try FileManager.default.removeItem(atPath: dir + "/" + (try Self.digests(dir)[1])) }
        #expect(report.errors.contains { $0.message.hasPrefix("gap in the chain") })
        #expect(!report.passed)
    }

    @Test("the first digest removed")
    func missingFirstDigest() throws {
        let report = try Self.damaged { dir in try FileManager.default.removeItem(atPath: dir + "/" + (try Self.digests(dir)[0])) }
        #expect(report.errors.contains { $0.message.contains("the start of the chain was removed") })
    }

    @Test("two digests swapped: reordered")
    func reordered() throws {
        let report = try Self.damaged { dir in
            let names = try Self.digests(dir)
            let a = dir + "/" + names[1], b = dir + "/" + names[2]
            try FileManager.default.moveItem(atPath: a, toPath: a + ".x")
            try FileManager.default.moveItem(atPath: b, toPath: a)
            try FileManager.default.moveItem(atPath: a + ".x", toPath: b)
        }
        #expect(report.errors.contains { $0.message.contains("renamed, reordered or replayed") })
    }

    @Test("an old digest copied in as a new one: replayed")
    func replayed() throws {
        let report = try Self.damaged { dir in
            let first = try Self.digests(dir)[0]
            try FileManager.default.copyItem(atPath: dir + "/" + first, toPath: dir + "/evidence/000000000099-20991231T000000Z.digest")
        }
        #expect(report.errors.contains { $0.message.contains("reordered or replayed") })
    }

    @Test("a digest edited and signed again with another key: re-signed")
    func resigned() throws {
        let report = try Self.damaged { dir in
            let name = try Self.digests(dir)[1]
            let path = dir + "/" + name
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            let signed = try SignedDigest(name: String(name.dropFirst("evidence/".count)), bytes: bytes)
            var digest = signed.digest
            digest.files = []
            let other = Curve25519.Signing.PrivateKey()
            digest.fingerprint = SigningKeys.fingerprint(other.publicKey)
            let body = Array(digest.json.compactText.utf8)
            let message = Digest.stringToSign(end: digest.end, file: digest.file, bodyHash: Digest.sha256Hex(body),
                                              previousSignature: digest.previousSignature)
            let signature = Hex.string(try other.signature(for: Array(message.utf8)))
            try Data(body + Array("\n\(signature)\n".utf8)).write(to: URL(fileURLWithPath: path))
        }
        #expect(report.errors.contains { $0.message.contains("signed with another key") })
    }

    @Test("a digest edited without a new signature")
    func editedDigest() throws {
        let report = try Self.damaged { dir in
            let path = dir + "/" + (try Self.digests(dir)[2])
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try text.replacingOccurrences(of: "\"bytes\":", with: "\"bytes\":1").write(toFile: path, atomically: false, encoding: .utf8)
        }
        #expect(report.errors.contains { $0.message.contains("signature does not match") })
    }

    @Test("verified with the wrong public key, everything fails")
    func wrongKey() throws {
        let report = try ChainVerifier.verify(store: .flows, directory: Self.store, publicKey: Curve25519.Signing.PrivateKey().publicKey)
        #expect(report.errors.count == report.digests)
    }

    @Test("the open segment and one file sealed after the newest digest are unsigned, not errors; two are an error")
    func unsignedTail() throws {
        let report = try Self.damaged { dir in
            let digests = try Self.digests(dir)
            try FileManager.default.removeItem(atPath: dir + "/" + digests.last!)
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/000000000900.seg.open"))
        }
        #expect(report.passed, "\(report.errors)")
        #expect(report.findings.filter { $0.kind == .unsigned }.count == 2)
        let two = try Self.damaged { dir in
            let digests = try Self.digests(dir)
            try FileManager.default.removeItem(atPath: dir + "/" + digests[digests.count - 1])
            try FileManager.default.removeItem(atPath: dir + "/" + digests[digests.count - 2])
        }
        #expect(two.errors.count == 2)
        #expect(two.errors.allSatisfy { $0.message.contains("the newest digests are missing") })
    }
}

@Suite("Retention, audit stores, recovery and bundles")
struct EvidenceLifecycleTests {
    @Test("segments deleted by retention are reported as retired, not as tampering")
    func retention() throws {
        let directory = try SignedStores.flowStore(flows: 12_000, retentionBytes: 120_000)
        let report = try SignedStores.verify(directory)
        #expect(report.passed, "\(report.errors)")
        let retired = report.findings.filter { $0.kind == .retired }
        #expect(!retired.isEmpty)
        for finding in retired { #expect(!FileManager.default.fileExists(atPath: directory + "/" + finding.file)) }
        #expect(report.filesVerified == (try SignedStores.names(directory, suffix: ".seg").count))
    }

    @Test("an empty digest is written when the interval has passed, and the chain still verifies")
    func intervalDigests() throws {
        let directory = try SignedStores.flowStore(flows: 1_000)
        let recorder = try EvidenceRecorder(store: .flows, directory: directory, signingKey: SignedStores.key)
        let before = try SignedStores.names(directory + "/evidence", suffix: ".digest").count
        try recorder.digestIfDue(interval: .seconds(3600))
        #expect(try SignedStores.names(directory + "/evidence", suffix: ".digest").count == before)
        try recorder.digestIfDue(interval: .zero)
        #expect(try SignedStores.names(directory + "/evidence", suffix: ".digest").count == before + 1)
        #expect(try SignedStores.verify(directory).passed)
    }

    @Test("a segment sealed while nobody listened is signed when the store next opens")
    func catchUp() throws {
        let directory = try SignedStores.flowStore(flows: 3_000)
        let copy = try SignedStores.copy(directory)
        // A crash between sealing and signing: the newest digest never got written.
        let digests = try SignedStores.names(copy + "/evidence", suffix: ".digest")
        try FileManager.default.removeItem(atPath: copy + "/evidence/" + digests.last!)
        #expect(try SignedStores.verify(copy).findings.contains { $0.kind == .unsigned })
        let recorder = try EvidenceRecorder(store: .flows, directory: copy, signingKey: SignedStores.key)
        try recorder.storeOpened(directory: copy)
        let report = try SignedStores.verify(copy)
        #expect(report.passed)
        #expect(!report.findings.contains { $0.kind == .unsigned })
    }

    @Test("the chain starts when the store opens: a crash between the first seal and its digest leaves one file unsigned, not a store that looks never signed")
    func crashBeforeTheFirstSealsDigest() throws {
        let directory = SignedStores.temporaryDirectory("first-seal")
        let recorder = try EvidenceRecorder(store: .flows, directory: directory, signingKey: SignedStores.key)
        // Segments large enough that a segment's first block (which carries the segment's whole
        // dictionary record, twice) does not fill it at once: each append then seals at most one.
        let configuration = StoreConfiguration(blockRecords: 500, segmentMaxBytes: 200_000, retentionMaxBytes: nil, retentionMaxAge: nil,
                                               encodesInBackground: false)
        let writer = try SegmentWriter(directory: directory, configuration: configuration, sealObserver: recorder)
        #expect(try SignedStores.names(directory + "/evidence", suffix: ".digest").count == 1)
        #expect(try SignedStores.verify(directory).passed)
        var generator = SyntheticFlowGenerator(seed: 7)
        while try SignedStores.names(directory, suffix: ".seg").isEmpty { try writer.append(generator.generate(500)) }
        // The sealed file's name appears before the seal's observer has written its digest.
        var digests = try SignedStores.names(directory + "/evidence", suffix: ".digest")
        // Sealing is an fsync, a rename and a signature on the sealer's queue: seconds on a loaded
        // machine, so the wait is bounded generously rather than tightly.
        for _ in 0..<1_200 where digests.count < 2 {
            usleep(50_000)
            digests = try SignedStores.names(directory + "/evidence", suffix: ".digest")
        }
        try #require(digests.count == 2, "digests after the first seal: \(digests)")
        // A kill -9 right after the first seal: the digest that signs it was never written.
        let copy = try SignedStores.copy(directory)
        try FileManager.default.removeItem(atPath: copy + "/evidence/" + digests[1])
        let report = try SignedStores.verify(copy)
        #expect(report.passed, "\(report.errors)")
        let first = try SignedStores.names(copy, suffix: ".seg")[0]
        #expect(report.findings.contains { $0.kind == .unsigned && $0.file == first })
        try writer.close()
    }

    @Test("sealed audit files are signed and checked like segments")
    func auditStore() throws {
        let directory = try SignedStores.auditStore(log: SignedStores.auditLogFixture)
        let clean = try SignedStores.verify(directory, store: .audit)
        #expect(clean.passed)
        #expect(clean.filesVerified == 1)
        let copy = try SignedStores.copy(directory)
        let file = copy + "/versions-000000000001.ndjson"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "bob@example.com", with: "eve@example.com").write(toFile: file, atomically: false, encoding: .utf8)
        let report = try SignedStores.verify(copy, store: .audit)
        #expect(report.errors.map(\.file) == ["versions-000000000001.ndjson"])
    }

    @Test("a bundle of a period verifies offline; a changed member does not")
    func bundle() throws {
        let flows = try SignedStores.flowStore(flows: 4_000)
        let audit = try SignedStores.auditStore(log: SignedStores.auditLogFixture)
        let output = SignedStores.temporaryDirectory("bundle") + "/evidence.tar"
        let summary = try EvidenceBundle.create(sources: [.init(store: .flows, directory: flows), .init(store: .audit, directory: audit)],
                                                since: nil, until: nil, publicKey: SignedStores.key.publicKey, output: output)
        #expect(summary.files.contains { $0.hasSuffix("versions-000000000001.ndjson") })
        let verification = try EvidenceBundle.verify(archive: output, workDirectory: SignedStores.temporaryDirectory("x"), publicKey: nil)
        #expect(verification.passed, "\(verification.reports.flatMap(\.errors))")
        #expect(verification.reports.map(\.store) == [.flows, .audit])
        #expect(verification.usedBundledKey)
        // Flip one byte inside the archive's first segment member.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
        let marker = Array("000000000001.seg".utf8)
        let at = try #require((0..<(bytes.count - marker.count)).first { Array(bytes[$0..<($0 + marker.count)]) == marker })
        bytes[at + 512 + 700] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: output))
        let damaged = try EvidenceBundle.verify(archive: output, workDirectory: SignedStores.temporaryDirectory("y"), publicKey: SignedStores.key.publicKey)
        #expect(!damaged.passed)
        #expect(damaged.reports.first?.errors.first?.file == "000000000001.seg")
    }

    @Test("a period bundle holds only the files that meet it, and that is not an error")
    func periodBundle() throws {
        let flows = try SignedStores.flowStore(flows: 4_000)
        let output = SignedStores.temporaryDirectory("bundle") + "/none.tar"
        let summary = try EvidenceBundle.create(sources: [.init(store: .flows, directory: flows)],
                                                since: Timestamp(rfc3339: "2001-01-01T00:00:00Z"), until: Timestamp(rfc3339: "2001-01-02T00:00:00Z"),
                                                publicKey: SignedStores.key.publicKey, output: output)
        #expect(!summary.files.contains { $0.hasSuffix(".seg") })
        let verification = try EvidenceBundle.verify(archive: output, workDirectory: SignedStores.temporaryDirectory("z"), publicKey: nil)
        #expect(verification.passed)
    }

    @Test("keys: generated, loaded, never overwritten; OpenSSL-compatible PEM")
    func keys() throws {
        let directory = SignedStores.temporaryDirectory("keys")
        let written = try SigningKeys.generate(into: directory)
        let privateKey = try SigningKeys.loadPrivateKey(written.privateKey)
        let publicKey = try SigningKeys.loadPublicKey(written.publicKey)
        #expect(privateKey.publicKey.rawRepresentation == publicKey.rawRepresentation)
        #expect(SigningKeys.fingerprint(publicKey) == written.fingerprint)
        let attributes = try FileManager.default.attributesOfItem(atPath: written.privateKey)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(throws: FlowlogError.self) { try SigningKeys.generate(into: directory) }
        #expect(try String(contentsOfFile: written.publicKey, encoding: .utf8).hasPrefix("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"))
    }
}
