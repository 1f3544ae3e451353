import FlowTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `flowlog agent` for real: live capture on the loopback interface with traffic this test sends
/// between two loopback addresses that the cluster names as pods, a manifest reload (good, then
/// bad), a metrics scrape, SIGTERM, and a query over what was stored. The suite's tests run one
/// at a time: two agents capturing on `lo` at once would each see the other's traffic.
@Suite("flowlog agent on the loopback interface", .serialized)
struct AgentCommandTests {
    static let pods = LoopbackPods(test: 0)

    @Test func capturesAnnotatesReloadsAndStopsCleanly() throws {
        guard geteuid() == 0 else {
            print("skipped: live capture needs CAP_NET_RAW (run the tests as root)")
            return
        }
        let pods = Self.pods
        let work = FlowlogRunner.temporaryPath("agent")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let clusterFile = work + "/cluster.yaml"
        try pods.cluster.write(toFile: clusterFile, atomically: true, encoding: .utf8)
        let port = try Probe.freeLoopbackPort()
        try """
            capture: {interfaces: [lo], filter: "\(pods.captureFilter)"}
            cluster: {manifests: [\(clusterFile)], poll-interval: 100ms}
            data-directory: \(work)/data
            node-name: e2e-node
            metrics: {address: "127.0.0.1:\(port)"}
            log: {format: json}

            """.write(toFile: work + "/agent.yaml", atomically: true, encoding: .utf8)
        let agent = try RunningAgent(configFile: work + "/agent.yaml")
        try #require(agent.waitUntilServing(port: port), "the agent did not start serving metrics")
        // Each stage's thread carries its name, so `top -H` or `perf` tells them apart.
        let threads = agent.threadNames()
        for name in ["flowlog-process", "cap-lo", "flowlog-watch"] {
            #expect(threads.contains(name), "no thread named \(name) among \(threads)")
        }

        try pods.send(count: 5, to: pods.allowedPort)
        try pods.send(count: 3, to: pods.deniedPort)

        // A good change is reloaded; a broken one is rejected and the old cluster stays.
        try (pods.cluster + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: extra}\n")
            .write(toFile: clusterFile, atomically: true, encoding: .utf8)
        #expect(Probe.until(seconds: 10) { Probe.metric(port, "flowlog_manifest_reloads_total{result=\"ok\"}") == 1 })
        try "apiVersion: v1\nkind: Pod\nmetadata: {name: broken\n".write(toFile: clusterFile, atomically: true, encoding: .utf8)
        #expect(Probe.until(seconds: 10) { Probe.metric(port, "flowlog_manifest_reloads_total{result=\"failed\"}") == 1 })
        try pods.send(count: 2, to: pods.allowedPort)

        #expect(Probe.until(seconds: 10) { (Probe.metric(port, "flowlog_packets_total") ?? 0) >= 10 })
        let scrape = try Probe.httpGet(port: port, path: "/metrics")
        #expect(scrape.contains("flowlog_drops_total{stage=\"kernel\"} 0"))

        let end = agent.stop()
        #expect(end.stopped, "the agent did not stop after SIGTERM")
        #expect(end.status == 0, "agent log:\n\(end.log)")
        #expect(end.log.contains("rejected; the previous version stays in force"))

        // Everything captured was flushed, sealed and is queryable.
        let allowed = try FlowlogRunner.run(["query", "--data", work + "/data", "dst.port == \(pods.allowedPort)", "-o", "ndjson"])
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
        let denied = try FlowlogRunner.run(["query", "--data", work + "/data", "dst.port == \(pods.deniedPort) and action == deny", "-o", "csv"])
        #expect(denied.status == 0, "\(denied.stderr)")
        #expect(denied.stdout.split(separator: "\n").count == 2, "header and one denied flow:\n\(denied.stdout)")
    }

    /// The agent runs the CIS benchmark on its manifests on a schedule and keeps every result.
    @Test func keepsScheduledCISResultsAsEvidence() throws {
        guard geteuid() == 0 else {
            print("skipped: live capture needs CAP_NET_RAW (run the tests as root)")
            return
        }
        let pods = LoopbackPods(test: 1)
        let work = FlowlogRunner.temporaryPath("agent-cis")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try pods.cluster.write(toFile: work + "/cluster.yaml", atomically: true, encoding: .utf8)
        try """
            capture: {interfaces: [lo], filter: "\(pods.captureFilter)"}
            cluster: {manifests: [\(work)/cluster.yaml]}
            data-directory: \(work)/data
            metrics: {address: "off"}
            compliance:
              cis: {interval: 300ms}

            """.write(toFile: work + "/agent.yaml", atomically: true, encoding: .utf8)
        let agent = try RunningAgent(configFile: work + "/agent.yaml")

        let evidence = work + "/data/evidence/cis"
        func results() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: evidence)) ?? []).filter { $0.hasPrefix("cis-") && $0.hasSuffix(".json") }
        }
        #expect(Probe.until(seconds: 20) { results().count >= 2 }, "no second scheduled CIS result")
        let end = agent.stop()
        #expect(end.stopped, "the agent did not stop after SIGTERM")
        #expect(end.status == 0, "agent log:\n\(end.log)")
        #expect(end.log.contains("CIS benchmark recorded"))
        for name in results() {
            let record = try FlowlogRunner.json(try String(contentsOfFile: evidence + "/" + name, encoding: .utf8))
            let report = try #require(record["report"] as? [String: Any])
            let nodes = try #require(report["nodes"] as? [[String: Any]])
            #expect(nodes.first?["node"] as? String == "cluster")
            #expect((record["generated"] as? String)?.hasSuffix("Z") == true)
        }
    }

    /// With no filter the agent reads the kernel's ring itself; `--no-direct-ring` leaves the
    /// reading to libpcap. Either way the pods' packets are counted once each (the loopback
    /// interface delivers what it sends twice) and stored with their verdicts. Without a filter
    /// the agent takes everything on its interface, so it runs in a network namespace of the
    /// test's own (`PrivateNetwork`): on the machine's `lo`, other suites' traffic could fill the
    /// kernel's ring while a loaded machine starves the agent, and the pods' packets be dropped
    /// with it. The test's metrics scrapes are captured too and left out by the query.
    @Test(arguments: [true, false])
    func capturesAlikeThroughTheRingAndThroughLibpcap(directRing: Bool) throws {
        guard let network = try PrivateNetwork.forTest("the agent's unfiltered capture") else { return }
        // The agent, the pods' sockets and the metrics scrapes are all made inside.
        try network.whileJoined { try Self.captureAlike(directRing: directRing) }
    }

    static func captureAlike(directRing: Bool) throws {
        let pods = LoopbackPods(test: directRing ? 7 : 8)
        let work = FlowlogRunner.temporaryPath("agent-reader")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try pods.cluster.write(toFile: work + "/cluster.yaml", atomically: true, encoding: .utf8)
        let port = try Probe.freeLoopbackPort()
        try """
            capture: {interfaces: [lo]}
            cluster: {manifests: [\(work)/cluster.yaml]}
            data-directory: \(work)/data
            metrics: {address: "127.0.0.1:\(port)"}
            log: {format: json}

            """.write(toFile: work + "/agent.yaml", atomically: true, encoding: .utf8)
        let agent = try RunningAgent(configFile: work + "/agent.yaml", flags: directRing ? [] : ["--no-direct-ring"])
        try #require(agent.waitUntilServing(port: port), "the agent did not start serving metrics")
        try pods.send(count: 6, to: pods.allowedPort)
        try pods.send(count: 2, to: pods.deniedPort)
        #expect(Probe.until(seconds: 10) { (Probe.metric(port, "flowlog_packets_total") ?? 0) >= 8 })
        // Alone on its interface, the agent drops nothing.
        #expect(Probe.metric(port, "flowlog_drops_total{stage=\"kernel\"}") == 0)
        let end = agent.stop()
        #expect(end.stopped, "the agent did not stop after SIGTERM")
        #expect(end.status == 0, "agent log:\n\(end.log)")
        #expect(end.log.contains(directRing ? "kernel ring" : "libpcap"), "agent log:\n\(end.log)")

        let rows = try FlowlogRunner.run(["query", "--data", work + "/data", "src.ip == \(pods.client) and dst.ip == \(pods.server)",
                                          "-o", "ndjson"])
        #expect(rows.status == 0, "\(rows.stderr)")
        let flows = rows.stdout.split(separator: "\n").compactMap { try? FlowlogRunner.json(String($0)) }
        func packets(port: UInt16) -> Int {
            flows.filter { ($0["dest_port"] as? Int) == Int(port) }.reduce(0) { $0 + (($1["source_packets"] as? Int) ?? 0) }
        }
        #expect(packets(port: pods.allowedPort) == 6)
        #expect(packets(port: pods.deniedPort) == 2)
        #expect(flows.filter { ($0["dest_port"] as? Int) == Int(pods.allowedPort) }.allSatisfy { $0["action"] as? String == "allow" })
        #expect(flows.filter { ($0["dest_port"] as? Int) == Int(pods.deniedPort) }.allSatisfy { $0["action"] as? String == "deny" })
    }
}
