#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing

/// A running agent with `export.siem` delivering what it captures to a real rsyslogd while it
/// captures: the messages received are the flows `flowlog query` finds in its store, each once.
/// In the agent suite, whose tests run one at a time (two agents on `lo` would see each other).
extension AgentCommandTests {
    @Test(.enabled(if: RsyslogReceiver.available, RsyslogReceiver.skipReason))
    func exportsCapturedFlowsToSyslogWhileRunning() throws {
        guard geteuid() == 0 else {
            print("skipped: live capture needs CAP_NET_RAW (run the tests as root)")
            return
        }
        let workspace = try AgentWorkspace("agent-siem", test: 3)
        defer { workspace.remove() }
        let pods = workspace.pods, port = workspace.metricsPort, work = workspace.path
        let receiver = try RsyslogReceiver(tls: false)
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
        let agent = try workspace.startAgent(workspace.configuration(node: "siem-node", """
            flow-cache: {idle-timeout: 1s}
            store: {flush-interval: 300ms}
            export:
              siem:
            \(sinks.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            """))

        func stored() -> [String] { workspace.storedFlows() }
        func received() -> [String] { receiver.rawMessages().compactMap(SIEMCommandTests.message) }

        // Two rounds of distinct flows (one source port each), the second while the first is
        // long delivered: each round reaches rsyslog while the agent keeps capturing.
        var total = 0
        for (round, (count, destination)) in [(25, pods.allowedPort), (15, pods.deniedPort)].enumerated() {
            try pods.sendDistinctFlows(count: count, to: destination, payload: "flowlog siem test")
            total += count
            let arrived = Probe.until(seconds: 30) { stored().count == total && received().count == total }
            #expect(arrived, "round \(round + 1): \(stored().count) stored, \(received().count) received of \(total)")
            #expect(agent.isRunning)
            #expect(received().sorted() == stored().sorted(), "round \(round + 1): what rsyslog got is not what the store holds")
        }
        #expect(Probe.metric(port, #"flowlog_siem_records_sent_total{sink="soc"}"#) == Double(total))
        for raw in receiver.rawMessages() {
            #expect(raw.contains(" siem-node flowlog - flow [flow@32473 src=\"\(pods.client)\" "), "\(raw.prefix(160))")
        }
        let denied = receiver.rawMessages().filter { $0.contains(#"dport="\#(pods.deniedPort)""#) }
        #expect(denied.count == 15 && denied.allSatisfy { $0.hasPrefix("<132>1 ") && $0.contains(#"action="deny""#) })

        let end = agent.stop()
        #expect(end.stopped, "the agent did not stop after SIGTERM")
        #expect(end.status == 0, "agent log:\n\(end.log)")

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

    /// At SIGTERM capture flushes its flow caches into the store before the exporters stop: the
    /// flows still open at that moment reach the receiver before the agent exits, not at its
    /// next start. Nothing is sent while it runs (idle timeout and batch time of minutes), so
    /// every record the receiver gets was sent during the shutdown.
    @Test(.enabled(if: RsyslogReceiver.available, RsyslogReceiver.skipReason))
    func sendsTheFlowsStoredAtShutdownBeforeExiting() throws {
        guard geteuid() == 0 else {
            print("skipped: live capture needs CAP_NET_RAW (run the tests as root)")
            return
        }
        let workspace = try AgentWorkspace("agent-siem-drain", test: 5)
        defer { workspace.remove() }
        let receiver = try RsyslogReceiver(tls: false)
        let agent = try workspace.startAgent(workspace.configuration(node: "siem-node", """
            flow-cache: {idle-timeout: 10m}
            export:
              siem:
                shutdown-drain: 60s
                sinks:
                  - {name: soc, type: syslog, address: "127.0.0.1:\(receiver.port)", transport: tcp, batch: {count: 100000, time: 10m}}
            """))
        let count = 30
        try workspace.pods.sendDistinctFlows(count: count, to: workspace.pods.allowedPort, payload: "flowlog siem drain test")
        #expect(workspace.waitForPackets(count))
        func received() -> [String] { receiver.rawMessages().compactMap(SIEMCommandTests.message) }
        #expect(received().isEmpty, "sent before shutdown: the flows should still be open in the flow cache")

        let end = agent.stop()
        #expect(end.stopped, "the agent did not stop after SIGTERM")
        #expect(end.status == 0, "agent log:\n\(end.log)")
        #expect(end.log.contains("sent everything stored before shutdown"), "agent log:\n\(end.log)")
        let stored = workspace.storedFlows()
        #expect(stored.count == count)
        // rsyslogd writes its file on its own schedule; the agent has already seen the close.
        #expect(Probe.until(seconds: 10) { received().count == stored.count })
        #expect(received().sorted() == stored.sorted(), "what rsyslog got is not what the store holds")
    }
}
