#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing

/// A running agent with `export.siem` delivering what it captures to a real rsyslogd while it
/// captures: the messages received are the flows `flowlog query` finds in its store, each once.
/// In the agent suite, whose tests run one at a time (two agents on `lo` would see each other);
/// its pods have loopback addresses and ports of their own, so other test runs on the machine
/// sending on `lo` do not reach its capture filter.
extension AgentCommandTests {
    static let siemClient = "127.0.41.2", siemServer = "127.0.41.3"
    static let siemAllowedPort: UInt16 = 47_741, siemDeniedPort: UInt16 = 47_742
    @Test(.enabled(if: RsyslogReceiver.available, RsyslogReceiver.skipReason))
    func exportsCapturedFlowsToSyslogWhileRunning() throws {
        guard geteuid() == 0 else {
            print("skipped: live capture needs CAP_NET_RAW (run the tests as root)")
            return
        }
        let receiver = try RsyslogReceiver(tls: false)
        let work = FlowlogRunner.temporaryPath("agent-siem")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let cluster = Self.cluster.replacingOccurrences(of: "127.0.0.2", with: Self.siemClient)
            .replacingOccurrences(of: "127.0.0.3", with: Self.siemServer)
            .replacingOccurrences(of: "port: \(Self.allowedPort)", with: "port: \(Self.siemAllowedPort)")
        #expect(cluster.contains(Self.siemServer) && cluster.contains("port: \(Self.siemAllowedPort)"))
        try cluster.write(toFile: work + "/cluster.yaml", atomically: true, encoding: .utf8)
        let port = try freeLoopbackPort()
        // Flows end 1 s after their last packet, a partly filled block is written every 300 ms,
        // and the sink sends what it has every 200 ms: a flow reaches rsyslog within seconds.
        let sinks = """
            sinks:
              - name: soc
                type: syslog
                address: 127.0.0.1:\(receiver.port)
                transport: tcp
                batch: {count: 500, time: 200ms}
            """
        let config = """
            capture: {interfaces: [lo], filter: "udp and host \(Self.siemServer)"}
            cluster: {manifests: [\(work)/cluster.yaml]}
            data-directory: \(work)/data
            node-name: siem-node
            metrics: {address: "127.0.0.1:\(port)"}
            flow-cache: {idle-timeout: 1s}
            store: {flush-interval: 300ms}
            export:
              siem:
            \(sinks.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))

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
        try #require(poll(seconds: 15) { (try? httpGet(port: port, path: "/metrics")) != nil }, "the agent did not start")

        func stored() -> [String] {
            let r = try? FlowlogRunner.run(["query", "--data", work + "/data", "-o", "ndjson"])
            return r?.stdout.split(separator: "\n").map(String.init) ?? []
        }
        func received() -> [String] { receiver.rawMessages().compactMap(SIEMCommandTests.message) }

        // Two rounds of distinct flows (one source port each), the second while the first is
        // long delivered: each round reaches rsyslog while the agent keeps capturing.
        var total = 0
        for (round, (count, destination)) in [(25, Self.siemAllowedPort), (15, Self.siemDeniedPort)].enumerated() {
            try sendDistinctFlows(count: count, to: destination)
            total += count
            let arrived = poll(seconds: 30) { stored().count == total && received().count == total }
            #expect(arrived, "round \(round + 1): \(stored().count) stored, \(received().count) received of \(total)")
            #expect(agent.isRunning)
            #expect(received().sorted() == stored().sorted(), "round \(round + 1): what rsyslog got is not what the store holds")
        }
        #expect(metric(port, #"flowlog_siem_records_sent_total{sink="soc"}"#) == Double(total))
        for raw in receiver.rawMessages() {
            #expect(raw.contains(" siem-node flowlog - flow [flow@32473 src=\"\(Self.siemClient)\" "), "\(raw.prefix(160))")
        }
        let denied = receiver.rawMessages().filter { $0.contains(#"dport="\#(Self.siemDeniedPort)""#) }
        #expect(denied.count == 15 && denied.allSatisfy { $0.hasPrefix("<132>1 ") && $0.contains(#"action="deny""#) })

        kill(agent.processIdentifier, SIGTERM)
        #expect(poll(seconds: 20) { !agent.isRunning }, "the agent did not stop after SIGTERM")
        agent.waitUntilExit()
        collector.join(timeout: 5)
        #expect(agent.terminationStatus == 0, "agent log:\n\(collected.text)")

        // The one-shot command with the same sinks shares the agent's cursors and spool: it
        // finds nothing left to send, and rsyslog has every stored flow exactly once.
        let standalone = work + "/siem.yaml"
        try sinks.write(toFile: standalone, atomically: true, encoding: .utf8)
        let after = try FlowlogRunner.run(["export", "siem", "--config", standalone, "--data", work + "/data"])
        #expect(after.status == 0 && after.stderr.contains("siem: soc: 0 sent"), "\(after.stderr)")
        usleep(300_000)
        #expect(received().sorted() == stored().sorted())
        #expect(received().count == total)
    }

    /// One UDP datagram from each of `count` fresh sockets on the client pod's address to the
    /// server pod's port: as many flows, each with its own source port.
    func sendDistinctFlows(count: Int, to port: UInt16) throws {
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = port.bigEndian
        remote.sin_addr.s_addr = inet_addr(Self.siemServer)
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            try #require(fd >= 0)
            // Held open until all are sent, so no two share an ephemeral port.
            sockets.append(fd)
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(Self.siemClient)
            try #require(withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0)
            let payload = Array("flowlog siem test".utf8)
            let sent = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            try #require(sent == payload.count)
            usleep(2_000)
        }
    }
}
