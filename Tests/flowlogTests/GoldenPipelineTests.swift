import Foundation
import Testing

/// Golden end-to-end: the demo capture replayed against the demo cluster into a store, then
/// queried; the answers must equal the committed files byte for byte. A change that moves any
/// flow, verdict, identity, policy string or counter shows up here as a diff.
///
/// After an intended change, regenerate with `FLOWLOG_UPDATE_GOLDEN=1 swift test --filter GoldenPipelineTests`
/// and review the diff of `Tests/flowlogTests/Fixtures/golden-*`.
@Suite("Golden: replay the demo, store, query, diff", .serialized)
struct GoldenPipelineTests {
    static let queries: [(file: String, arguments: [String])] = [
        ("golden-flows.ndjson", ["-o", "ndjson"]),
        ("golden-namespaces.csv", ["--group-by", "src.namespace,dst.namespace,action", "--order", "flows", "-o", "csv"]),
        ("golden-denied.csv", ["verdict deny", "-o", "csv", "--fields",
                               "start_time,source_ip,source_port,dest_ip,dest_port,proto,source_namespace,source_name_aggr,dest_namespace,dest_name_aggr,action,policies,pending_policies"]),
        ("golden-top-ports.csv", ["--group-by", "dst.port,proto", "--top", "8", "--order", "bytes", "-o", "csv"]),
        ("golden-pending-deny.csv", ["pending_action deny", "-o", "csv", "--fields", "source_ip,dest_ip,dest_port,action,pending_policies"]),
        ("golden-would-change.csv", ["would_change", "-o", "csv", "--fields",
                                     "start_time,source,dest,dest_port_proto,action,pending_action,reporter,egress_policies,"
                                     + "ingress_policies,pending_egress_policies,pending_ingress_policies"]),
        ("golden-denied-table.txt", ["action deny", "-o", "table"]),
        ("golden-counters.csv", ["dst.port 5432", "-o", "csv", "--fields",
                                 "source,dest,reporter,packets_in,packets_out,bytes_in,bytes_out,source_packets,dest_packets,source_bytes,dest_bytes"]),
    ]

    @Test func demoReplayAndQueriesMatchTheGoldenFiles() throws {
        let data = FlowlogRunner.temporaryPath("golden")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let root = FlowlogRunner.packageRoot.path
        let replay = try FlowlogRunner.run(["replay", root + "/samples/demo.pcap", "--cluster", root + "/samples/cluster",
                                            "--data", data, "--node", "demo-node", "--summary-format", "json"])
        try #require(replay.status == 0, "\(replay.stderr)")
        let summary = try FlowlogRunner.json(replay.stdout)
        let policy = try #require(summary["policy"] as? [String: Any])
        let store = try #require(summary["store"] as? [String: Any])
        #expect(summary["flows"] as? Int == 240)
        #expect(policy["allow"] as? Int == 204 && policy["deny"] as? Int == 36 && policy["unknown"] as? Int == 0)
        #expect(store["flows"] as? Int == 240)

        let update = ProcessInfo.processInfo.environment["FLOWLOG_UPDATE_GOLDEN"] == "1"
        for query in Self.queries {
            let result = try FlowlogRunner.run(["query", "--data", data] + query.arguments)
            try #require(result.status == 0, "\(query.file): \(result.stderr)")
            let path = root + "/Tests/flowlogTests/Fixtures/" + query.file
            if update {
                try result.stdout.write(toFile: path, atomically: true, encoding: .utf8)
                continue
            }
            let expected = try String(contentsOfFile: path, encoding: .utf8)
            #expect(!expected.isEmpty)
            if result.stdout != expected {
                let got = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
                let first = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
                Issue.record("\(query.file) differs first at line \(first + 1) (\(got.count) lines, golden \(want.count)):\n got: \(first < got.count ? String(got[first]) : "<end>")\nwant: \(first < want.count ? String(want[first]) : "<end>")")
            }
        }
    }
}
