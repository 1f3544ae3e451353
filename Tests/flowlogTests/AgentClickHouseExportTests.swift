#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ClickHouse
import Foundation
import Testing

/// A running agent with `export.clickhouse` against the real server `.ci/clickhouse-servers`
/// starts. The exporter polls only once every ten minutes and flows stay open for ten, so every
/// row ClickHouse holds at the end was exported during the shutdown: capture flushes its flow
/// caches into the store first, then the exporter makes its last pass. In the agent suite,
/// whose tests run one at a time.
extension AgentCommandTests {
    @Test(.enabled(if: ClickHouseServers.url != nil, ClickHouseServers.skipReason))
    func exportsTheFlowsStoredAtShutdownToClickHouse() throws {
        guard geteuid() == 0 else {
            print("skipped: live capture needs CAP_NET_RAW (run the tests as root)")
            return
        }
        let url = try #require(ClickHouseServers.url)
        let workspace = try AgentWorkspace("agent-clickhouse-drain", test: 6)
        defer { workspace.remove() }
        let database = ClickHouseCommandTests.database("agent_drain")
        let agent = try workspace.startAgent(workspace.configuration(node: "ch-node", """
            flow-cache: {idle-timeout: 10m}
            export:
              clickhouse: {url: "\(url)", database: \(database), poll-interval: 10m, shutdown-drain: 60s}
            """))
        let client = try ClickHouseCommandTests.client(url)
        // The exporter's first pass creates the table (and finds nothing to export).
        #expect(Probe.until(seconds: 30) { (try? ClickHouseCommandTests.scalar(client, "SELECT count() FROM \(database).flows")) == 0 })
        let count = 25
        try workspace.pods.sendDistinctFlows(count: count, to: workspace.pods.allowedPort, payload: "flowlog clickhouse drain test")
        #expect(workspace.waitForPackets(count))

        let end = agent.stop()
        #expect(end.stopped, "the agent did not stop after SIGTERM")
        #expect(end.status == 0, "agent log:\n\(end.log)")
        #expect(end.log.contains("sent everything stored before shutdown"), "agent log:\n\(end.log)")
        #expect(workspace.storedFlows().count == count)
        #expect(try ClickHouseCommandTests.scalar(client, "SELECT count() FROM \(database).flows") == UInt64(count))
        #expect(try ClickHouseCommandTests.scalar(client, "SELECT countIf(dst_port = \(workspace.pods.allowedPort)) FROM \(database).flows") == UInt64(count))
        _ = try? client.execute("DROP DATABASE IF EXISTS \(database)")
    }
}
