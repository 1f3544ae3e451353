import ConfigAudit
import Foundation
import Testing

/// Results kept over time: one file per run, in order, never rewritten.
@Suite struct CISEvidenceStoreTests {
    @Test func everyRunIsKeptAndReadsBack() throws {
        let dir = NSTemporaryDirectory() + "flowlog-cis-evidence-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = CISEvidenceStore(directory: dir)
        #expect(try store.records().isEmpty)
        let cluster = [FixtureFiles.path("cis/failing")]
        let kubeBench = ["cp=" + FixtureFiles.path("kube-bench/control-plane-1.json")]
        let first = Date(timeIntervalSince1970: 1_796_000_000)
        let a = try store.runAndRecord(clusterPaths: cluster, kubeBench: kubeBench, settingsPath: nil, now: first)
        let b = try store.runAndRecord(clusterPaths: cluster, kubeBench: kubeBench, settingsPath: nil, now: first)
        let c = try store.runAndRecord(clusterPaths: cluster, kubeBench: kubeBench, settingsPath: nil, now: first.addingTimeInterval(3600))
        #expect(a.hasSuffix("cis-20261130T005320Z.json"))
        #expect(b.hasSuffix("cis-20261130T005320Z-2.json"))
        #expect(try store.files() == [a, b, c])
        let records = try store.records()
        #expect(records.map(\.generated) == ["2026-11-30T00:53:20Z", "2026-11-30T00:53:20Z", "2026-11-30T01:53:20Z"])
        #expect(records[0].report.nodes.map(\.node) == ["cluster", "cp"])
        #expect(records[0].report.results.contains { $0.number == "5.1.1" && $0.status == .fail })
        #expect(records[0].clusterPaths == cluster && records[0].kubeBench == kubeBench)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: dir)).contains { $0.hasSuffix(".partial") })
    }

    @Test func anUnreadableRunRecordsNothing() throws {
        let dir = NSTemporaryDirectory() + "flowlog-cis-evidence-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = CISEvidenceStore(directory: dir)
        #expect(throws: (any Error).self) { try store.runAndRecord(clusterPaths: [dir + "/absent"], kubeBench: [], settingsPath: nil) }
        #expect(try store.files().isEmpty)
    }
}
