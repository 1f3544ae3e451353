@testable import ClickHouse
import Foundation
import FlowCore
import FlowTestSupport
import SegmentStore
import Testing

/// The ClickHouse servers `.ci/clickhouse-servers` starts for the suite, found through its
/// environment variables. Without them the server tests skip and say why.
enum TestServer {
    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    static let url = environment("FLOWLOG_CLICKHOUSE_URL")
    static let shard2URL = environment("FLOWLOG_CLICKHOUSE_SHARD2_URL")
    static let cluster = environment("FLOWLOG_CLICKHOUSE_CLUSTER")

    static var available: Bool { url != nil }

    static let skipReason: Comment = {
        if let reason = environment("FLOWLOG_CLICKHOUSE_SKIP") { return Comment(rawValue: "ClickHouse tests skipped: \(reason)") }
        return "ClickHouse tests skipped: FLOWLOG_CLICKHOUSE_URL is not set (run the suite through .ci/clickhouse-servers)"
    }()

    static func client(_ url: String? = TestServer.url) throws -> ClickHouseClient {
        ClickHouseClient(endpoint: try ClickHouseEndpoint(url: url!))
    }

    /// A database name no other test or run uses, created on `url`.
    static func freshDatabase(_ purpose: String, on clients: [ClickHouseClient]) throws -> String {
        var g = SystemRandomNumberGenerator()
        let name = "t_\(purpose)_\(getpid())_\(g.next() % 1_000_000_000)"
        for c in clients { try c.execute("CREATE DATABASE \(name)") }
        return name
    }

    static func count(_ client: ClickHouseClient, _ sql: String) throws -> UInt64 {
        let text = String(decoding: try client.execute(sql + " FORMAT TSV"), as: UTF8.self)
        return UInt64(text.split(separator: "\n").first ?? "") ?? .max
    }
}

/// Stores of synthetic flows in temporary directories.
enum TestStore {
    static func temporaryDirectory(_ name: String) -> String {
        var g = SystemRandomNumberGenerator()
        let base = TestServer.environment("TMPDIR") ?? "/tmp"
        return "\(base)/flowlog-clickhouse-test-\(getpid())-\(g.next() % 1_000_000_000)-\(name)"
    }

    /// Writes `count` synthetic flows (several segments of small blocks) into a new store.
    @discardableResult
    static func write(_ directory: String, count: Int, seed: UInt64 = 7, blockRecords: Int = 500,
                      segmentBytes: Int = 256 << 10) throws -> [AnnotatedFlow] {
        var generator = SyntheticFlowGenerator(seed: seed, pods: 120, namespaces: 12, flowsPerSecond: 50)
        // Some destinations with the names DNS answers gave them (one, a CNAME chain, deeper names).
        let names = [DomainNames(["api.example.com"]), DomainNames(["www.example.org", "edge.cdn.example.net"]), .none,
                     DomainNames(["a.b.example.com"]), .none]
        let flows = generator.generate(count).enumerated().map { i, flow in
            var f = flow
            f.destinationDomains = names[i % names.count]
            return f
        }
        let writer = try SegmentWriter(directory: directory, configuration: StoreConfiguration(blockRecords: blockRecords,
                                                                                            segmentMaxBytes: segmentBytes, fsync: .onSeal))
        try writer.append(flows)
        try writer.close()
        return flows
    }

    static func remove(_ directory: String) {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
