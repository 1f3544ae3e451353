#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing

/// The agent with an audit store, the webhook, a followed audit log and signing: everything it
/// records is queryable and verifies after SIGTERM. In the agent suite, whose tests run one at
/// a time: two agents capturing on `lo` at once would see each other's test traffic.
extension AgentCommandTests {
    @Test func recordsAuditEventsAndSignsEverything() throws {
        guard geteuid() == 0 else {
            print("skipped: live capture needs CAP_NET_RAW (run the tests as root)")
            return
        }
        let helper = self
        let work = FlowlogRunner.temporaryPath("agent-evidence")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let keys = try FlowlogRunner.run(["keys", "generate", work + "/keys"])
        #expect(keys.status == 0)
        try AgentCommandTests.cluster.write(toFile: work + "/cluster.yaml", atomically: true, encoding: .utf8)
        let lines = try String(contentsOfFile: AuditCommandTests.log, encoding: .utf8).split(separator: "\n").dropLast()
        try (lines[0..<14].joined(separator: "\n") + "\n").write(toFile: work + "/kube-audit.log", atomically: true, encoding: .utf8)
        let port = try helper.freeLoopbackPort()
        let config = """
            capture: {interfaces: [lo], filter: "udp and port 47699"}
            cluster: {manifests: [\(work)/cluster.yaml], poll-interval: 100ms}
            data-directory: \(work)/data
            node-name: evidence-node
            metrics: {address: "127.0.0.1:\(port)"}
            audit: {directory: \(work)/audit, log-file: \(work)/kube-audit.log, webhook: true}
            evidence: {signing-key: \(work)/keys/signing.key, digest-interval: 1h}

            """
        try config.write(toFile: work + "/agent.yaml", atomically: true, encoding: .utf8)
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: FlowlogRunner.executable)
        agent.arguments = ["agent", "--config", work + "/agent.yaml"]
        agent.standardError = FileHandle.nullDevice
        agent.standardOutput = FileHandle.nullDevice
        try agent.run()
        defer { if agent.isRunning { agent.terminate() } }
        #expect(helper.poll(seconds: 15) { (try? helper.httpGet(port: port, path: "/healthz")) == "ok\n" })

        // The webhook takes the rest of the log's events, as kube-apiserver's webhook backend sends them.
        let body = #"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":["# + lines[14..<28].joined(separator: ",") + "]}"
        let request = "POST /audit/webhook HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        let response = LoopbackClientForAgent.exchange(port: port, request: request)
        #expect(response.hasPrefix("HTTP/1.1 200"), "\(response)")
        #expect(response.contains(#""events":14"#))
        try helper.sendDatagrams(count: 3, to: 47_699)
        #expect(helper.poll(seconds: 10) {
            let query = try? FlowlogRunner.run(["audit", "query", "--audit", work + "/audit", "-o", "ndjson"])
            return (query?.stdout.split(separator: "\n").count ?? 0) >= 18
        })

        kill(agent.processIdentifier, SIGTERM)
        #expect(helper.poll(seconds: 20) { !agent.isRunning })
        agent.waitUntilExit()
        #expect(agent.terminationStatus == 0)

        let fromFiles = try FlowlogRunner.run(["audit", "query", "--audit", work + "/audit", "--author", "file:*", "-o", "csv"])
        #expect(fromFiles.stdout.contains("evidence-node"), "\(fromFiles.stdout)")
        let fromKube = try FlowlogRunner.run(["audit", "history", "networkpolicy/shop/default.allow-web", "--audit", work + "/audit"])
        #expect(fromKube.stdout.contains("rule 2 of egress: destination.ports 443 → 443,8443"))
        let verify = try FlowlogRunner.run(["verify", "--data", work + "/data", "--audit", work + "/audit", "--public-key", work + "/keys/signing.pub"])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("flows: ok:"))
        #expect(verify.stdout.contains("audit: ok:"))
        #expect(!verify.stdout.contains("unsigned:"), "\(verify.stdout)")
    }
}

/// A raw HTTP exchange that reads until the server closes.
enum LoopbackClientForAgent {
    static func exchange(port: UInt16, request: String) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { return "" }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { break }
            offset += sent
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }
}
