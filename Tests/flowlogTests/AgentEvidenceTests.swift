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
        let pods = LoopbackPods(test: 2)
        let work = FlowlogRunner.temporaryPath("agent-evidence")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let keys = try FlowlogRunner.run(["keys", "generate", work + "/keys"])
        #expect(keys.status == 0)
        try pods.cluster.write(toFile: work + "/cluster.yaml", atomically: true, encoding: .utf8)
        let lines = try String(contentsOfFile: AuditCommandTests.log, encoding: .utf8).split(separator: "\n").dropLast()
        try (lines[0..<14].joined(separator: "\n") + "\n").write(toFile: work + "/kube-audit.log", atomically: true, encoding: .utf8)
        let port = try Probe.freeLoopbackPort()
        let config = """
            capture: {interfaces: [lo], filter: "\(pods.captureFilter)"}
            cluster: {manifests: [\(work)/cluster.yaml], poll-interval: 100ms}
            data-directory: \(work)/data
            node-name: evidence-node
            metrics: {address: "127.0.0.1:\(port)"}
            audit: {directory: \(work)/audit, log-file: \(work)/kube-audit.log, webhook: true}
            evidence: {signing-key: \(work)/keys/signing.key, digest-interval: 1h}

            """
        try config.write(toFile: work + "/agent.yaml", atomically: true, encoding: .utf8)
        let agent = try RunningAgent(configFile: work + "/agent.yaml")
        #expect(Probe.until(seconds: 15) { (try? Probe.httpGet(port: port, path: "/healthz")) == "ok\n" })

        // The webhook takes the rest of the log's events, as kube-apiserver's webhook backend sends them.
        let body = #"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":["# + lines[14..<28].joined(separator: ",") + "]}"
        let request = "POST /audit/webhook HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        let response = LoopbackClientForAgent.exchange(port: port, request: request)
        #expect(response.hasPrefix("HTTP/1.1 200"), "\(response)")
        #expect(response.contains(#""events":14"#))
        try pods.send(count: 3, to: pods.allowedPort)
        #expect(Probe.until(seconds: 10) {
            let query = try? FlowlogRunner.run(["audit", "query", "--audit", work + "/audit", "-o", "ndjson"])
            return (query?.stdout.split(separator: "\n").count ?? 0) >= 18
        })

        let end = agent.stop()
        #expect(end.stopped && end.status == 0, "agent log:\n\(end.log)")

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
