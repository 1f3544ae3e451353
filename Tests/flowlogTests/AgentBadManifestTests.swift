import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A running agent watching a manifest directory, fed every kind of bad file: each reload is
/// rejected and logged with the file and place, the policy in force stays, capture goes on,
/// and every flow is stored with the verdicts of the policy that was in force.
@Suite("flowlog agent survives bad manifests", .serialized)
struct AgentBadManifestTests {
    // Addresses and ports of its own: the agent suite may capture on `lo` at the same time.
    static let pods = LoopbackPods(test: 4)

    static let badFiles: [(String, [UInt8])] = {
        var deepBlock = ""
        for level in 0..<3_000 { deepBlock += String(repeating: " ", count: level) + "k\(level):\n" }
        var aliases = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 { aliases += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
        return [
            ("nested more than 64 levels deep", Array(("apiVersion: v1\nkind: Pod\nmetadata: " + String(repeating: "[", count: 5_000) + "\n").utf8)),
            ("nested more than 64 levels deep", Array(deepBlock.utf8)),
            ("aliases expand to more than", Array(aliases.utf8)),
            ("YAML/JSON syntax", Array("apiVersion: v1\nkind: Pod\nmetadata: {name: broken\n".utf8)),
            ("invalid selector", Array("""
                apiVersion: projectcalico.org/v3
                kind: GlobalNetworkPolicy
                metadata: {name: broken}
                spec: {selector: "app ==", types: [Ingress]}
                """.utf8)),
            ("not UTF-8 text", [0x61, 0x3A, 0x20, 0xFF, 0xFE, 0x0A]),
        ]
    }()

    @Test func everyKindOfBadFileIsRejectedWhileCaptureGoesOn() throws {
        guard geteuid() == 0 else {
            print("skipped: live capture needs CAP_NET_RAW (run the tests as root)")
            return
        }
        let pods = Self.pods
        let work = FlowlogRunner.temporaryPath("agent-bad")
        let manifests = work + "/manifests"
        try FileManager.default.createDirectory(atPath: manifests, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try pods.cluster.write(toFile: manifests + "/cluster.yaml", atomically: true, encoding: .utf8)
        let port = try Probe.freeLoopbackPort()
        try """
            capture: {interfaces: [lo], filter: "\(pods.captureFilter)"}
            cluster: {manifests: [\(manifests)], poll-interval: 100ms}
            data-directory: \(work)/data
            node-name: e2e-node
            metrics: {address: "127.0.0.1:\(port)"}
            log: {format: json}

            """.write(toFile: work + "/agent.yaml", atomically: true, encoding: .utf8)

        let agent = try RunningAgent(configFile: work + "/agent.yaml")
        try #require(agent.waitUntilServing(port: port), "the agent did not start serving metrics")

        try pods.send(count: 2, to: pods.allowedPort, payload: "flowlog bad-manifest test")
        try pods.send(count: 1, to: pods.deniedPort, payload: "flowlog bad-manifest test")
        let bad = manifests + "/dropped.yaml"
        for (round, (words, bytes)) in Self.badFiles.enumerated() {
            try Data(bytes).write(to: URL(fileURLWithPath: bad), options: .atomic)
            #expect(Probe.until(seconds: 15) {
                Probe.metric(port, "flowlog_manifest_reloads_total{result=\"failed\"}") == Double(round + 1)
            }, "round \(round) (\(words)) was not rejected")
            #expect(agent.isRunning, "the agent died on round \(round) (\(words))")
            try pods.send(count: 1, to: pods.allowedPort, payload: "flowlog bad-manifest test")
            try pods.send(count: 1, to: pods.deniedPort, payload: "flowlog bad-manifest test")
        }
        #expect(Probe.metric(port, "flowlog_manifest_reloads_total{result=\"ok\"}") ?? 0 == 0)
        try FileManager.default.removeItem(atPath: bad)
        #expect(Probe.until(seconds: 15) { Probe.metric(port, "flowlog_manifest_reloads_total{result=\"ok\"}") == 1 })
        let sent = 2 + Self.badFiles.count
        #expect(Probe.until(seconds: 10) { (Probe.metric(port, "flowlog_packets_total") ?? 0) >= Double(sent + 1 + Self.badFiles.count) })

        let end = agent.stop()
        let logText = end.log
        #expect(end.stopped, "the agent did not stop after SIGTERM")
        #expect(end.status == 0, "agent log:\n\(logText)")
        for (words, _) in Self.badFiles {
            #expect(logText.contains(words), "the log does not say \(words)")
        }
        #expect(logText.contains("dropped.yaml:3:74"), "the deep file's error gives line and column")

        // The policy in force before the bad files decided every flow, and none was lost.
        let allowed = try FlowlogRunner.run(["query", "--data", work + "/data", "dst.port == \(pods.allowedPort)", "-o", "ndjson"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let allowedRows = allowed.stdout.split(separator: "\n").compactMap { try? FlowlogRunner.json(String($0)) }
        // Sent by the client: its packets, as the source reports them.
        #expect(allowedRows.reduce(0) { $0 + (($1["source_packets"] as? Int) ?? 0) } == sent)
        for row in allowedRows {
            #expect(row["action"] as? String == "allow")
            #expect((row["policies"] as? [String] ?? []).contains("0|default|knp:shop/web-allow-dns-port|allow|0"))
        }
        let denied = try FlowlogRunner.run(["query", "--data", work + "/data", "dst.port == \(pods.deniedPort)", "-o", "ndjson"])
        let deniedRows = denied.stdout.split(separator: "\n").compactMap { try? FlowlogRunner.json(String($0)) }
        #expect(deniedRows.reduce(0) { $0 + (($1["source_packets"] as? Int) ?? 0) } == 1 + Self.badFiles.count)
        #expect(deniedRows.allSatisfy { $0["action"] as? String == "deny" })
    }
}
