import FlowCore
import Foundation
import Testing
@testable import Audit

@Suite("Ingest of a kube-apiserver audit log")
struct IngestTests {
    @Test("what becomes a version, and why the rest does not")
    func counts() throws {
        let (_, report) = try AuditFixtures.ingestedStore()
        #expect(report.events == 28)
        #expect(report.versions == 18)
        #expect(report.skipped == [.stage: 1, .readOnly: 3, .kind: 1, .subresource: 2, .failed: 2, .dryRun: 1,
                                   .duplicate: 1, .stale: 1, .unchanged: 1])
        #expect(report.badLineCount == 1)
        let bad = try #require(report.badLines.first)
        #expect(bad.line == 29)
        #expect(bad.file == AuditFixtures.kubeAuditLog)
        #expect(bad.reason.contains("truncated last line"))
    }

    @Test("ingesting the same file again adds nothing")
    func idempotent() throws {
        let (directory, _) = try AuditFixtures.ingestedStore()
        let before = try AuditHistory.load(directory: directory).versions
        let store = try AuditStore(directory: directory)
        let again = try AuditIngest.ingest(files: [AuditFixtures.kubeAuditLog], into: store)
        try store.close()
        #expect(again.versions == 0)
        // 15 events made versions (the namespace delete four), plus the re-shipped duplicate line.
        #expect(again.skipped[.duplicate] == 16)
        #expect(try AuditHistory.load(directory: directory).versions == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("versions-") }.count == 1)
    }

    @Test("each version links to the one before by hash, and its patch turns the one before into it")
    func chainAndPatches() throws {
        let history = try AuditHistory.load(directory: AuditFixtures.ingestedStore().directory)
        var last: [ObjectKey: ObjectVersion] = [:]
        for version in history.versions {
            let previous = last[version.key]
            #expect(version.version == (previous?.version ?? 0) + 1)
            #expect(version.previousHash == previous?.hash)
            #expect(version.hash == VersionBuilder.sha256Hex(version.object?.compactText ?? "null"))
            if let before = previous?.object, let after = version.object {
                let patch = try #require(version.patch)
                #expect(try JSONPatch.apply(patch, to: before) == after)
            } else {
                #expect(version.patch == nil)
            }
            #expect(version.object?.value(at: "metadata.managedFields") == nil)
            last[version.key] = version
        }
    }

    @Test("the namespace delete removes what was in it, recorded as its cascade")
    func cascade() throws {
        let history = try AuditHistory.load(directory: AuditFixtures.ingestedStore().directory)
        let cascade = history.versions.filter { if case .namespaceDeleted("shop") = $0.cause { return true }; return false }
        #expect(cascade.map(\.key.description).sorted() == [
            "networkpolicy.projectcalico.org/shop/default.allow-web", "pod/shop/frontend-1", "serviceaccount/shop/default",
        ])
        #expect(cascade.allSatisfy { $0.isDelete && $0.author.username == "alice@example.com" && $0.verb == "delete" })
        // The namespace controller's own later delete of the pod changes nothing.
        #expect(history.versions(of: try ObjectKey(parsing: "pod/shop/frontend-1")).count == 3)
    }

    @Test("pod IPs come from the kubelet's pods/status patch")
    func podStatus() throws {
        let history = try AuditHistory.load(directory: AuditFixtures.ingestedStore().directory)
        let versions = history.versions(of: try ObjectKey(parsing: "pod/db/postgres-0"))
        #expect(versions.count == 2)
        #expect(versions[0].object?.value(at: "status.podIP") == nil)
        #expect(versions[1].subresource == "status")
        #expect(versions[1].author.username == "system:node:node-1")
        #expect(versions[1].author.sourceIP == "10.0.0.11")
        #expect(versions[1].object?.value(at: "status.podIP")?.stringValue == "10.244.2.7")
    }

    @Test("a stale out-of-order update is skipped; the 07:30 patch is version 2 with its summary")
    func ordering() throws {
        let history = try AuditHistory.load(directory: AuditFixtures.ingestedStore().directory)
        let key = try ObjectKey(parsing: "networkpolicy/shop/default.allow-web")
        let versions = history.versions(of: key)
        #expect(versions.map(\.verb) == ["create", "patch", "delete"])
        #expect(!versions.contains { $0.author.username == "dave@example.com" })
        let listing = VersionListing(history: history)
        #expect(listing.summary(of: versions[1]) == "rule 2 of egress: destination.ports 443 → 443,8443")
        #expect(listing.summary(of: versions[2]) == "deleted with namespace shop")
    }

    @Test("a torn last line in the open file is cut when the store reopens; whole lines survive")
    func tornTail() throws {
        let (directory, _) = try AuditFixtures.ingestedStore()
        // What a crash mid-write leaves: the file still open, half a line at its end.
        let sealed = directory + "/versions-000000000001.ndjson"
        try FileManager.default.moveItem(atPath: sealed, toPath: sealed + ".open")
        let handle = try #require(FileHandle(forWritingAtPath: sealed + ".open"))
        handle.seekToEndOfFile()
        handle.write(Data("{\"sequence\":99,\"obj".utf8))
        try handle.close()
        #expect(try AuditHistory.load(directory: directory).versions.count == 18)
        let reopened = try AuditStore(directory: directory)
        #expect(reopened.builder.index.nextSequence == 19)
        #expect(reopened.hasOpenFile)
        try reopened.close()
        #expect(try AuditHistory.load(directory: directory).versions.count == 18)
        #expect(try String(contentsOfFile: sealed, encoding: .utf8).hasSuffix("}\n"))
    }

    @Test("webhook bodies: an EventList, a single Event, and malformed ones naming the field")
    func eventLists() throws {
        let lines = try String(contentsOfFile: AuditFixtures.kubeAuditLog, encoding: .utf8).split(separator: "\n").prefix(3)
        let body = #"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":["# + lines.joined(separator: ",") + "]}"
        #expect(try AuditEvent.events(inBody: JSONParser.parse(body)).count == 3)
        #expect(try AuditEvent.events(inBody: JSONParser.parse(String(lines[0]))).count == 1)
        do {
            _ = try AuditEvent.events(inBody: JSONParser.parse(#"{"kind":"EventList","items":[{"kind":"Event","stage":"ResponseComplete","verb":"get"}]}"#))
            Issue.record("accepted an event without auditID")
        } catch let error as AuditEvent.Malformed {
            #expect(error.field == "items[0].auditID")
        }
        #expect(throws: AuditEvent.Malformed.self) { try AuditEvent.events(inBody: JSONParser.parse(#"{"kind":"PodList","items":[]}"#)) }
    }
}
