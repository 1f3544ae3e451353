import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `flowlog agent` for real: live capture on the loopback interface with traffic this test sends
/// between two loopback addresses that the cluster names as pods, a manifest reload (good, then
/// bad), a metrics scrape, SIGTERM, and a query over what was stored.
@Suite("flowlog agent on the loopback interface", .serialized)
struct AgentCommandTests {
    static let cluster = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop, labels: {env: prod}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: client-1, namespace: shop, labels: {app: client}}
        status: {podIP: 127.0.0.2}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-1, namespace: shop, labels: {app: web}}
        status: {podIP: 127.0.0.3}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web-allow-dns-port, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Ingress]
          ingress:
          - from: [{podSelector: {matchLabels: {app: client}}}]
            ports: [{protocol: UDP, port: \(allowedPort)}]

        """
    static let allowedPort: UInt16 = 47_631
    static let deniedPort: UInt16 = 47_632

    @Test func capturesAnnotatesReloadsAndStopsCleanly() throws {
        guard geteuid() == 0 else {
            print("skipped: live capture needs CAP_NET_RAW (run the tests as root)")
            return
        }
        let work = FlowlogRunner.temporaryPath("agent")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let clusterFile = work + "/cluster.yaml"
        try Self.cluster.write(toFile: clusterFile, atomically: true, encoding: .utf8)
        let port = try freeLoopbackPort()
        let config = """
            capture: {interfaces: [lo], filter: "udp and host 127.0.0.3"}
            cluster: {manifests: [\(clusterFile)], poll-interval: 100ms}
            data-directory: \(work)/data
            node-name: e2e-node
            metrics: {address: "127.0.0.1:\(port)"}
            log: {format: json}

            """
        try config.write(toFile: work + "/agent.yaml", atomically: true, encoding: .utf8)

        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: FlowlogRunner.executable)
        agent.arguments = ["agent", "--config", work + "/agent.yaml"]
        let log = Pipe()
        agent.standardError = log
        agent.standardOutput = FileHandle.nullDevice
        try agent.run()
        // Drain the log as it comes, so a chatty agent never blocks on a full pipe.
        let collected = LogText()
        let collector = Thread { collected.text = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        collector.start()
        defer { if agent.isRunning { agent.terminate() } }

        // The endpoint answers once start-up (cluster, store, capture) is done.
        let ready = poll(seconds: 15) { (try? httpGet(port: port, path: "/metrics")) != nil }
        try #require(ready, "the agent did not start serving metrics")

        try sendDatagrams(count: 5, to: Self.allowedPort)
        try sendDatagrams(count: 3, to: Self.deniedPort)

        // A good change is reloaded; a broken one is rejected and the old cluster stays.
        try (Self.cluster + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: extra}\n")
            .write(toFile: clusterFile, atomically: true, encoding: .utf8)
        #expect(poll(seconds: 10) { metric(port, "flowlog_manifest_reloads_total{result=\"ok\"}") == 1 })
        try "apiVersion: v1\nkind: Pod\nmetadata: {name: broken\n".write(toFile: clusterFile, atomically: true, encoding: .utf8)
        #expect(poll(seconds: 10) { metric(port, "flowlog_manifest_reloads_total{result=\"failed\"}") == 1 })
        try sendDatagrams(count: 2, to: Self.allowedPort)

        #expect(poll(seconds: 10) { (metric(port, "flowlog_packets_total") ?? 0) >= 10 })
        let scrape = try httpGet(port: port, path: "/metrics")
        #expect(scrape.contains("flowlog_drops_total{stage=\"kernel\"} 0"))

        kill(agent.processIdentifier, SIGTERM)
        #expect(poll(seconds: 20) { !agent.isRunning }, "the agent did not stop after SIGTERM")
        agent.waitUntilExit()
        collector.join(timeout: 5)
        let logText = collected.text
        #expect(agent.terminationStatus == 0, "agent log:\n\(logText)")
        #expect(logText.contains("rejected; the previous version stays in force"))

        // Everything captured was flushed, sealed and is queryable.
        let allowed = try FlowlogRunner.run(["query", "--data", work + "/data", "dst.port == \(Self.allowedPort)", "-o", "ndjson"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let allowedRows = allowed.stdout.split(separator: "\n").compactMap { try? FlowlogRunner.json(String($0)) }
        #expect(allowedRows.count >= 1)
        // Sent by the client; Calico's packets_in counts them too, as the destination reports.
        #expect(allowedRows.reduce(0) { $0 + (($1["source_packets"] as? Int) ?? 0) } == 7)
        #expect(allowedRows.reduce(0) { $0 + (($1["packets_in"] as? Int) ?? 0) } == 7)
        for row in allowedRows {
            #expect(row["action"] as? String == "allow")
            #expect(row["source_namespace"] as? String == "shop")
            #expect(row["dest_name"] as? String == "web-1")
            #expect(row["host"] as? String == "e2e-node")
            #expect((row["policies"] as? [String] ?? []).contains("0|default|knp:shop/web-allow-dns-port|allow|0"))
        }
        let denied = try FlowlogRunner.run(["query", "--data", work + "/data", "dst.port == \(Self.deniedPort) and action == deny", "-o", "csv"])
        #expect(denied.status == 0, "\(denied.stderr)")
        #expect(denied.stdout.split(separator: "\n").count == 2, "header and one denied flow:\n\(denied.stdout)")
    }

    // MARK: - Helpers

    /// The agent runs the CIS benchmark on its manifests on a schedule and keeps every result.
    @Test func keepsScheduledCISResultsAsEvidence() throws {
        guard geteuid() == 0 else {
            print("skipped: live capture needs CAP_NET_RAW (run the tests as root)")
            return
        }
        let work = FlowlogRunner.temporaryPath("agent-cis")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try Self.cluster.write(toFile: work + "/cluster.yaml", atomically: true, encoding: .utf8)
        let config = """
            capture: {interfaces: [lo], filter: "udp and host 127.0.0.3"}
            cluster: {manifests: [\(work)/cluster.yaml]}
            data-directory: \(work)/data
            metrics: {address: "off"}
            compliance:
              cis: {interval: 300ms}

            """
        try config.write(toFile: work + "/agent.yaml", atomically: true, encoding: .utf8)
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: FlowlogRunner.executable)
        agent.arguments = ["agent", "--config", work + "/agent.yaml"]
        let log = Pipe()
        agent.standardError = log
        agent.standardOutput = FileHandle.nullDevice
        try agent.run()
        let collected = LogText()
        let collector = Thread { collected.text = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        collector.start()
        defer { if agent.isRunning { agent.terminate() } }

        let evidence = work + "/data/evidence/cis"
        func results() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: evidence)) ?? []).filter { $0.hasPrefix("cis-") && $0.hasSuffix(".json") }
        }
        #expect(poll(seconds: 20) { results().count >= 2 }, "no second scheduled CIS result")
        kill(agent.processIdentifier, SIGTERM)
        #expect(poll(seconds: 20) { !agent.isRunning }, "the agent did not stop after SIGTERM")
        agent.waitUntilExit()
        collector.join(timeout: 5)
        #expect(agent.terminationStatus == 0, "agent log:\n\(collected.text)")
        #expect(collected.text.contains("CIS benchmark recorded"))
        for name in results() {
            let record = try FlowlogRunner.json(try String(contentsOfFile: evidence + "/" + name, encoding: .utf8))
            let report = try #require(record["report"] as? [String: Any])
            let nodes = try #require(report["nodes"] as? [[String: Any]])
            #expect(nodes.first?["node"] as? String == "cluster")
            #expect((record["generated"] as? String)?.hasSuffix("Z") == true)
        }
    }

    func poll(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }

    /// The value of one sample line of the exposition, e.g. `flowlog_packets_total`.
    func metric(_ port: UInt16, _ name: String) -> Double? {
        guard let text = try? httpGet(port: port, path: "/metrics") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    /// UDP datagrams from 127.0.0.2 to 127.0.0.3:port (both loopback addresses on Linux).
    func sendDatagrams(count: Int, to port: UInt16) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr("127.0.0.2")
        try #require(withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = port.bigEndian
        remote.sin_addr.s_addr = inet_addr("127.0.0.3")
        for _ in 0..<count {
            let payload = Array("flowlog agent test".utf8)
            _ = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            usleep(2_000)
        }
    }

    func freeLoopbackPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try #require(withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 } })
        return UInt16(bigEndian: address.sin_port)
    }

    /// A minimal HTTP/1.0 GET over loopback; returns the body.
    func httpGet(port: UInt16, path: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: localhost\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard text.hasPrefix("HTTP/1."), let split = text.range(of: "\r\n\r\n") else { throw POSIXError(.EBADMSG) }
        return String(text[split.upperBound...])
    }
}

/// The agent's log, written by the collecting thread and read after it finished.
final class LogText: @unchecked Sendable {
    var text = ""
}

extension Thread {
    /// Waits for the thread to finish, at most `timeout` seconds.
    func join(timeout: Double) {
        let deadline = Date().addingTimeInterval(timeout)
        while !isFinished && Date() < deadline { usleep(10_000) }
    }
}
