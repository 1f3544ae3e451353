#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Audit
import FlowCore
import Foundation
import Logging
import Prometheus
import Testing
@testable import Pipeline

/// `POST /audit/webhook` end to end over 127.0.0.1, and the audit log follower.
@Suite("Audit webhook and log follower", .serialized)
struct AuditWebhookTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("AuditTests/Fixtures/kube-audit.log").path

    static func temporaryDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "flowlog-webhook-\(getpid())-\(UUID().uuidString)-\(name)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The fixture's whole lines as one EventList body.
    static func eventList(lines: Range<Int>) throws -> String {
        let all = try String(contentsOfFile: fixture, encoding: .utf8).split(separator: "\n").dropLast()
        return #"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":["# + all[lines].joined(separator: ",") + "]}"
    }

    static func post(_ port: UInt16, _ body: String, token: String? = nil, declaredLength: Int? = nil) async -> LoopbackClient.Response? {
        let length = declaredLength ?? body.utf8.count
        let auth = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        let request = "POST /audit/webhook HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\(auth)Content-Length: \(length)\r\n\r\n" + body
        return await blocking { LoopbackClient.exchange(port: port, sending: [request]) }
    }

    static func server(_ ingestor: AuditIngestor, token: String? = nil, maximumBody: Int = 1 << 20) async throws -> AgentHTTPServer {
        var limits = AgentHTTPServer.Limits()
        limits.maximumWebhookBodyBytes = maximumBody
        return try await AgentHTTPServer.start(address: .init(host: "127.0.0.1", port: 0), registry: PrometheusCollectorRegistry(),
                                               webhook: ingestor, bearerToken: token, limits: limits)
    }

    @Test("an EventList is stored before the 200; unacknowledged requests retried (cut off mid-body, or answered to nobody) store each event once")
    func acceptsAndDeduplicates() async throws {
        let directory = Self.temporaryDirectory("audit")
        let ingestor = try AuditIngestor(directory: directory, observer: nil)
        let server = try await Self.server(ingestor)
        let port = server.address.port
        let firstHalf = try Self.eventList(lines: 0..<14)
        let first = try #require(await Self.post(port, firstHalf))
        #expect(first.status == 200)
        let stored = try AuditHistory.load(directory: directory).versions.count
        // Acknowledged means on disk: a reader sees the versions now.
        #expect(first.body == #"{"events":14,"versions":\#(stored)}"# + "\n")
        #expect(stored > 0)
        // The API server's next batch overlaps the first (a retry plus new events). Its first
        // try breaks off mid-body: nothing of it may be stored.
        let body = try Self.eventList(lines: 0..<28)
        let head = "POST /audit/webhook HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        await blocking { LoopbackClient.hangUp(port: port, sending: head + body.prefix(body.utf8.count / 2), afterMicroseconds: 0) }
        usleep(200_000)
        #expect(try AuditHistory.load(directory: directory).versions.count == stored)
        // The second try arrives whole, but the client is gone before the answer: the server
        // stores it; the sender cannot know, and tries again.
        await blocking { LoopbackClient.hangUp(port: port, sending: head + body, afterMicroseconds: 0) }
        #expect(try Self.waitFor(5) { try AuditHistory.load(directory: directory).versions.count == 18 })
        let retry = try #require(await Self.post(port, body))
        #expect(retry.status == 200)
        #expect(retry.body == #"{"events":28,"versions":0}"# + "\n")
        let history = try AuditHistory.load(directory: directory)
        #expect(history.versions.count == 18)
        // One event is one version of each object it changed (a namespace delete changes several).
        let changes = history.versions.map { "\($0.auditID) \($0.key)" }
        #expect(Set(changes).count == changes.count, "an event stored twice")
        await server.stop()
        try ingestor.close()
    }

    @Test("malformed bodies get 400 with the reason; oversized ones 413; without the token 401")
    func rejects() async throws {
        let ingestor = try AuditIngestor(directory: Self.temporaryDirectory("audit"), observer: nil)
        let server = try await Self.server(ingestor, token: "s3cret", maximumBody: 8_192)
        let port = server.address.port
        let notJSON = try #require(await Self.post(port, "{\"kind\":\"EventList\",\"items\":[", token: "s3cret"))
        #expect(notJSON.status == 400)
        #expect(notJSON.body.hasPrefix("not JSON at 1:30: unexpected end of input"))
        let wrongKind = try #require(await Self.post(port, #"{"kind":"PodList","items":[]}"#, token: "s3cret"))
        #expect(wrongKind.status == 400)
        #expect(wrongKind.body.contains("'PodList' is neither EventList nor Event"))
        let noID = try #require(await Self.post(port, #"{"kind":"EventList","items":[{"stage":"ResponseComplete","verb":"get"}]}"#, token: "s3cret"))
        #expect(noID.status == 400)
        #expect(noID.body.contains("items[0].auditID: missing"))
        let declared = try #require(await Self.post(port, "{}", token: "s3cret", declaredLength: 100_000))
        #expect(declared.status == 413)
        let big = try Self.eventList(lines: 0..<28)
        #expect(await Self.post(port, big, token: "s3cret")?.status == 413)
        #expect(await Self.post(port, "{}")?.status == 401)
        #expect(await Self.post(port, "{}", token: "wrong")?.status == 401)
        #expect(await AgentHTTPServerTests.get(port)?.status == 200)
        await server.stop()
        try ingestor.close()
    }

    @Test("the webhook off loopback needs a bearer token")
    func tokenRequiredOffLoopback() async throws {
        let ingestor = try AuditIngestor(directory: Self.temporaryDirectory("audit"), observer: nil)
        do {
            _ = try await AgentHTTPServer.start(address: .init(host: "0.0.0.0", port: 0), allowNonLoopback: true,
                                                registry: PrometheusCollectorRegistry(), webhook: ingestor)
            Issue.record("served the webhook off loopback without a token")
        } catch let error as FlowlogError {
            #expect(error.location?.field == "audit.bearer-token-file")
        }
        try ingestor.close()
    }

    static func waitFor(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }

    static func append(_ text: String, to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        try handle.close()
    }

    @Test("the follower reads a growing log, waits for half-written lines, survives rotation and truncation, and resumes")
    func follower() throws {
        let directory = Self.temporaryDirectory("audit"), logs = Self.temporaryDirectory("logs")
        let log = logs + "/audit.log"
        let lines = try String(contentsOfFile: Self.fixture, encoding: .utf8).split(separator: "\n").dropLast().map(String.init)
        let ingestor = try AuditIngestor(directory: directory, observer: nil)
        let follower = try AuditLogFollower(path: log, ingestor: ingestor, interval: .milliseconds(50), logger: Logger(label: "test"))
        func versions() throws -> Int { try AuditHistory.load(directory: directory).versions.count }
        try Self.append(lines[0..<8].joined(separator: "\n") + "\n", to: log)
        #expect(try Self.waitFor(20) { try versions() == 7 })
        // Half a line: nothing until the rest arrives.
        let ninth = lines[8]
        try Self.append(String(ninth.prefix(100)), to: log)
        usleep(300_000)
        #expect(try versions() == 7)
        try Self.append(String(ninth.dropFirst(100)) + "\n", to: log)
        #expect(try Self.waitFor(20) { try versions() == 8 })
        // Rotation: the old file is renamed, a new one takes the path.
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        try Self.append(lines[9..<14].joined(separator: "\n") + "\n", to: log)
        #expect(try Self.waitFor(20) { try versions() == 11 })
        // Truncation (copytruncate): read again from the start.
        let handle = try #require(FileHandle(forUpdatingAtPath: log))
        try handle.truncate(atOffset: 0)
        try handle.close()
        try Self.append(lines[14..<20].joined(separator: "\n") + "\n", to: log)
        #expect(try Self.waitFor(20) { try versions() == 12 })
        follower.stop()
        // A restarted follower resumes where it was: the rest arrives, nothing twice.
        try Self.append(lines[20..<28].joined(separator: "\n") + "\n", to: log)
        let again = try AuditLogFollower(path: log, ingestor: ingestor, interval: .milliseconds(50), logger: Logger(label: "test"))
        #expect(try Self.waitFor(20) { try versions() == 18 })
        usleep(200_000)
        again.stop()
        #expect(try versions() == 18)
        try ingestor.close()
    }

    @Test("manifest reloads become versions by file:<path> on this node; removed objects are deleted")
    func manifestVersions() throws {
        let directory = Self.temporaryDirectory("audit"), manifests = Self.temporaryDirectory("manifests")
        let file = manifests + "/policy.yaml"
        try """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: deny-all}
            spec: {selector: all(), types: [Ingress]}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop}

            """.write(toFile: file, atomically: true, encoding: .utf8)
        let ingestor = try AuditIngestor(directory: directory, observer: nil)
        func record() throws -> Int {
            try ingestor.recordManifests(ManifestObjects.read(paths: [manifests]).map { ($0.path, $0.key, $0.object) }, node: "node-7")
        }
        #expect(try record() == 2)
        #expect(try record() == 0)
        try """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: deny-all}
            spec: {selector: all(), types: [Ingress, Egress]}

            """.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try record() == 2)
        try ingestor.close()
        let history = try AuditHistory.load(directory: directory)
        let gnp = history.versions(of: try ObjectKey(parsing: "gnp/deny-all"))
        #expect(gnp.map(\.verb) == ["create", "update"])
        #expect(gnp.allSatisfy { $0.author.username == "file:\(file)" && $0.author.node == "node-7" })
        #expect(VersionListing(history: history).summary(of: gnp[1]) == "spec.types: Ingress → Ingress,Egress")
        #expect(history.versions(of: try ObjectKey(parsing: "ns/shop")).map(\.verb) == ["create", "delete"])
    }
}
