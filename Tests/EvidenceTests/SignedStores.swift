import Crypto
import FlowCore
import FlowTestSupport
import Foundation
import SegmentStore
@testable import Audit
@testable import Evidence

/// Signed stores built for the tests, and fresh copies to tamper with.
enum SignedStores {
    static func temporaryDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "flowlog-evidence-\(getpid())-\(UUID().uuidString)-\(name)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static let keyBytes = Array(Curve25519.Signing.PrivateKey().rawRepresentation)
    static var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes) }

    /// A flow store of `segments` sealed segments (about), every one signed, with retention when asked.
    static func flowStore(flows: Int = 6_000, retentionBytes: Int? = nil) throws -> String {
        let directory = temporaryDirectory("flows")
        let recorder = try EvidenceRecorder(store: .flows, directory: directory, signingKey: key)
        let configuration = StoreConfiguration(blockRecords: 500, segmentMaxBytes: 30_000, retentionMaxBytes: retentionBytes,
                                               retentionMaxAge: nil, encodesInBackground: false)
        let writer = try SegmentWriter(directory: directory, configuration: configuration, sealObserver: recorder)
        var generator = SyntheticFlowGenerator(seed: 7)
        for _ in 0..<(flows / 500) { try writer.append(generator.generate(500)) }
        try writer.close()
        return directory
    }

    /// An audit store with the given log ingested, its file sealed and signed.
    static func auditStore(log: String) throws -> String {
        let directory = temporaryDirectory("audit")
        let recorder = try EvidenceRecorder(store: .audit, directory: directory, signingKey: key)
        let store = try AuditStore(directory: directory, observer: recorder)
        _ = try AuditIngest.ingest(files: [log], into: store)
        try store.close()
        return directory
    }

    /// A copy of `directory` to damage.
    static func copy(_ directory: String) throws -> String {
        let target = temporaryDirectory("copy")
        try FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: directory, toPath: target)
        return target
    }

    static func verify(_ directory: String, store: EvidenceStoreKind = .flows) throws -> ChainReport {
        try ChainVerifier.verify(store: store, directory: directory, publicKey: key.publicKey)
    }

    static func names(_ directory: String, suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(suffix) }.sorted()
    }

    static var auditLogFixture: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("AuditTests/Fixtures/kube-audit.log").path
    }
}
