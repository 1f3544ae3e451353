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
    // Addresses and ports of their own: the other agent test may capture on `lo` at the same time,
    // and so may this test in another checkout's test run; the process id keeps those apart
    // (all of 127/8 is loopback on Linux).
    static let subnet = "127.\(100 + getpid() % 100).\(getpid() / 100 % 250)"
    static let client = subnet + ".4", server = subnet + ".5"
    static let allowedPort: UInt16 = 47_641
    static let deniedPort: UInt16 = 47_642
    static let cluster = AgentCommandTests.cluster
        .replacingOccurrences(of: "127.0.0.2", with: client).replacingOccurrences(of: "127.0.0.3", with: server)
        .replacingOccurrences(of: "\(AgentCommandTests.allowedPort)", with: "\(allowedPort)")

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
        let helpers = AgentCommandTests()
        let work = FlowlogRunner.temporaryPath("agent-bad")
        let manifests = work + "/manifests"
        try FileManager.default.createDirectory(atPath: manifests, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try Self.cluster.write(toFile: manifests + "/cluster.yaml", atomically: true, encoding: .utf8)
        let port = try helpers.freeLoopbackPort()
        try """
            capture: {interfaces: [lo], filter: "udp and host \(Self.server)"}
            cluster: {manifests: [\(manifests)], poll-interval: 100ms}
            data-directory: \(work)/data
            node-name: e2e-node
            metrics: {address: "127.0.0.1:\(port)"}
            log: {format: json}

            """.write(toFile: work + "/agent.yaml", atomically: true, encoding: .utf8)

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
        try #require(helpers.poll(seconds: 15) { (try? helpers.httpGet(port: port, path: "/metrics")) != nil },
                     "the agent did not start serving metrics")

        try send(count: 2, to: Self.allowedPort)
        try send(count: 1, to: Self.deniedPort)
        let bad = manifests + "/dropped.yaml"
        for (round, (words, bytes)) in Self.badFiles.enumerated() {
            try Data(bytes).write(to: URL(fileURLWithPath: bad), options: .atomic)
            #expect(helpers.poll(seconds: 15) {
                helpers.metric(port, "flowlog_manifest_reloads_total{result=\"failed\"}") == Double(round + 1)
            }, "round \(round) (\(words)) was not rejected")
            #expect(agent.isRunning, "the agent died on round \(round) (\(words))")
            try send(count: 1, to: Self.allowedPort)
            try send(count: 1, to: Self.deniedPort)
        }
        #expect(helpers.metric(port, "flowlog_manifest_reloads_total{result=\"ok\"}") ?? 0 == 0)
        try FileManager.default.removeItem(atPath: bad)
        #expect(helpers.poll(seconds: 15) { helpers.metric(port, "flowlog_manifest_reloads_total{result=\"ok\"}") == 1 })
        let sent = 2 + Self.badFiles.count
        #expect(helpers.poll(seconds: 10) { (helpers.metric(port, "flowlog_packets_total") ?? 0) >= Double(sent + 1 + Self.badFiles.count) })

        kill(agent.processIdentifier, SIGTERM)
        #expect(helpers.poll(seconds: 20) { !agent.isRunning }, "the agent did not stop after SIGTERM")
        agent.waitUntilExit()
        collector.join(timeout: 5)
        let logText = collected.text
        #expect(agent.terminationStatus == 0, "agent log:\n\(logText)")
        for (words, _) in Self.badFiles {
            #expect(logText.contains(words), "the log does not say \(words)")
        }
        #expect(logText.contains("dropped.yaml:3:74"), "the deep file's error gives line and column")

        // The policy in force before the bad files decided every flow, and none was lost.
        let allowed = try FlowlogRunner.run(["query", "--data", work + "/data", "dst.port == \(Self.allowedPort)", "-o", "ndjson"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let allowedRows = allowed.stdout.split(separator: "\n").compactMap { try? FlowlogRunner.json(String($0)) }
        // Sent by the client: its packets, as the source reports them.
        #expect(allowedRows.reduce(0) { $0 + (($1["source_packets"] as? Int) ?? 0) } == sent)
        for row in allowedRows {
            #expect(row["action"] as? String == "allow")
            #expect((row["policies"] as? [String] ?? []).contains("0|default|knp:shop/web-allow-dns-port|allow|0"))
        }
        let denied = try FlowlogRunner.run(["query", "--data", work + "/data", "dst.port == \(Self.deniedPort)", "-o", "ndjson"])
        let deniedRows = denied.stdout.split(separator: "\n").compactMap { try? FlowlogRunner.json(String($0)) }
        #expect(deniedRows.reduce(0) { $0 + (($1["source_packets"] as? Int) ?? 0) } == 1 + Self.badFiles.count)
        #expect(deniedRows.allSatisfy { $0["action"] as? String == "deny" })
    }

    /// UDP datagrams from the client's address to the server's port.
    func send(count: Int, to port: UInt16) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(Self.client)
        try #require(withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = port.bigEndian
        remote.sin_addr.s_addr = inet_addr(Self.server)
        for _ in 0..<count {
            let payload = Array("flowlog bad-manifest test".utf8)
            _ = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            usleep(2_000)
        }
    }
}
