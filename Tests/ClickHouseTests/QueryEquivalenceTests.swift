@testable import ClickHouse
import FlowCore
import Query
import SegmentStore
import Testing

/// The same plans run over a local store and over the same flows exported to ClickHouse must
/// print the same bytes.
@Suite(.enabled(if: TestServer.available, TestServer.skipReason), .serialized)
final class QueryEquivalenceTests {
    let store: String
    let database: String
    let flows: [AnnotatedFlow]
    let client: ClickHouseClient

    init() throws {
        client = try TestServer.client()
        store = TestStore.temporaryDirectory("equivalence")
        flows = try TestStore.write(store, count: 8_000, seed: 11)
        database = try TestServer.freshDatabase("query", on: [client])
        var options = ClickHouseExporter.Options(storeDirectory: store)
        options.database = database
        options.batchRows = 50_000
        let exporter = try ClickHouseExporter(options: options, client: client, metrics: ExportMetrics(), log: { _ in })
        try exporter.prepare()
        _ = try exporter.exportAvailable()
        exporter.close()
    }

    deinit {
        _ = try? client.execute("DROP DATABASE \(database)")
        TestStore.remove(store)
    }

    struct Case: CustomStringConvertible {
        var filter = ""
        var groupBy: String?
        var top: Int?
        var order: ResultOrder?
        var limit: Int?
        var format = OutputFormat.csv
        var fields: String?
        var window = TimeWindow()
        /// `--top` without `--group-by` leaves equal values in no particular order: compare lines as sets.
        var unordered = false
        var description: String {
            "filter '\(filter)' group-by \(groupBy ?? "-") top \(top.map(String.init) ?? "-") order \(order) limit \(limit.map(String.init) ?? "-") \(format)"
        }
    }

    /// Filter operands taken from the data, so every predicate kind matches something.
    func cases() -> [Case] {
        let annotated = flows.compactMap { f in f.annotation.map { (f, $0) } }
        let (_, a) = annotated.first { $0.1.source.kind == .workload && !$0.1.source.labels.isEmpty }!
        let namespace = a.source.namespace
        let (label, value) = a.source.labels.sorted { $0.key < $1.key }.first!
        let hit = annotated.lazy.compactMap { $0.1.ingress?.hits.first ?? $0.1.egress?.hits.first }.first { $0.kind != .profile }!
        let pendingTier = annotated.lazy.compactMap { $0.1.pendingIngress?.hits.first?.tier }.first ?? "default"
        let service = annotated.lazy.map(\.1.destinationService).first { !$0.isEmpty } ?? "none/none"
        let node = flows.first { !$0.node.isEmpty }!.node
        let start = flows.map(\.flow.start).min()!
        let window = TimeWindow(since: Timestamp(nanoseconds: start.nanoseconds + 60_000_000_000),
                                until: Timestamp(nanoseconds: start.nanoseconds + 200_000_000_000))
        let policyName = hit.kind.isNamespaced ? "\(hit.kind):\(hit.namespace)/\(hit.name)" : "\(hit.kind):\(hit.name)"
        let filters = [
            "", "verdict deny", "not verdict allow", "verdict unknown",
            "src.namespace \(namespace)", "dst.namespace \(namespace.prefix(2))*", "any.namespace \(namespace)",
            "src.labels \"\(label) == '\(value)'\"", "dst.labels \"!has(\(label)) || \(label) in {'\(value)', 'x'}\"",
            "src.labels \"\(label) starts with '\(value.prefix(1))' && \(label) != 'zz'\"",
            "dst.type net", "src.type hep or dst.type ns", "dst.name_aggr pub", "src.pod \(a.source.name)",
            "dst.port 53 or proto udp", "dst.port in (443, 80, 8080)", "src.port < 1024", "dst.port >= 30000",
            "src.ip 10.0.0.0/8", "dst.ip 0.0.0.0/0", "any.ip ::/0", "src.ip fd00::/8",
            "bytes > 10k", "packets_in <= 3 and bytes_out > 100", "packets != 1",
            "action deny", "policy_action deny", "policy_action pass", "pending_action deny", "pending_action allow",
            "would_change", "would_change no", "reporter dst", "reporter src",
            "packets_in > 3", "bytes_out < 500", "source_packets >= 2", "dest_bytes > 1k",
            "tier \(hit.tier)", "tier \(pendingTier)", "policy \(hit.name)", "policy \(policyName)",
            "vlan 100", "vlan > 0", "node \(node)", "node \(node.prefix(3))*", "service \(service)", "svc \(service.prefix(3))*",
            "src.namespace \(namespace) and not (dst.port 53 or verdict deny)",
            "src.namespace \"it's\" or dst.namespace 'back\\slash' or src.pod \"x'); DROP TABLE flows; --\"",
            "dst.domain api.example.com", "dst.domain API.Example.COM.", "dst.domain '*.example.net'", "domain *.example.com",
            "dst.domain '*.com'", "dst.domain 'www.*'", "dst.domain 'a.*.com'", "not dst.domain *.com and proto tcp",
            "dst.domain \"it's.example.com\"",
        ]
        var result = filters.map { Case(filter: $0) }
        result += filters.prefix(12).map { Case(filter: $0, format: .json) }
        result += filters.prefix(8).map { Case(filter: $0, format: .table) }
        result += [
            Case(filter: "verdict deny", format: .ndjson),
            Case(filter: "", limit: 777),
            Case(filter: "proto tcp", window: window),
            Case(filter: "", format: .csv, fields: "start_time,end_time,source_ip,dest_ip,policies,pending_policies,tcp_flags,vlan,host,source_labels"),
            Case(filter: "bytes > 1k", top: 25, order: .bytes),
            Case(filter: "", top: 10, order: .packets),
            Case(filter: "", top: 10),
            Case(filter: "verdict deny", order: .newest, limit: 40),
            Case(filter: "", order: .stored, limit: 100),
            Case(filter: "proto udp", order: .stored, format: .table),
            Case(filter: "", top: 30, order: .time, format: .json),
        ]
        let groupings = [
            "src.namespace", "dst.namespace,verdict", "dst.port,proto", "src.labels", "dst.labels", "policies", "pending_policies",
            "reporter", "src.type,dst.type", "host", "vlan", "tcp_flags", "dest_service_namespace,dest_service_name",
            "packets", "src.ip", "dst.ip,dst.port", "start_time", "src.name_aggr,dst.name_aggr", "bytes_in", "action",
            "source", "dest,dest_port_proto", "pending_action", "egress_policies", "ingress_policies", "pending_ingress_policies",
            "packets_in,packets_out", "source_bytes", "dest_packets", "dest_domains", "dst.namespace,dest_domains",
        ]
        for (i, g) in groupings.enumerated() {
            result.append(Case(filter: i % 3 == 0 ? "" : filters[i], groupBy: g))
            result.append(Case(filter: "", groupBy: g, top: 5, order: [.flows, .packets, .bytes, .time, .newest][i % 5]))
        }
        result += [
            Case(filter: "verdict deny", groupBy: "src.namespace,dst.namespace", top: 3, order: .bytes, format: .json),
            Case(filter: "", groupBy: "dst.port", top: 7, format: .table),
            Case(filter: "", groupBy: "src.namespace", limit: 1234, format: .ndjson),
            Case(filter: "proto udp", groupBy: "dst.ip", window: window),
            Case(filter: "", groupBy: "dst.port", top: 1, order: .flows),
            Case(filter: "dst.domain *.example.com", groupBy: "dest_domains", top: 2, order: .bytes, format: .json),
            Case(filter: "", format: .ndjson, fields: "dest_domains,dest_ip"),
        ]
        return result
    }

    func render(_ c: Case, clickhouse: Bool) throws -> String {
        var plan = QueryPlan(filter: try FilterProgram(parsing: c.filter), window: c.window, format: c.format,
                             fields: try c.fields.map { try OutputField.list($0, option: "--fields") },
                             groupBy: try c.groupBy.map { try OutputField.list($0, option: "--group-by") } ?? [],
                             top: c.top, order: c.order, limit: c.limit)
        plan.threads = 1
        var out = OutputBuffer(target: .memory)
        if clickhouse {
            _ = try ClickHouseQuery(client: client, database: database).run(plan, into: &out)
        } else {
            _ = try QueryEngine.run(plan, directory: store, into: &out)
        }
        return out.text
    }

    @Test func filtersGroupingsAndFormatsAnswerAlikeLocallyAndOnClickHouse() throws {
        var compared = 0, nonEmpty = 0
        for c in cases() {
            let local: String, remote: String
            do {
                local = try render(c, clickhouse: false)
                remote = try render(c, clickhouse: true)
            } catch {
                Issue.record("\(c): \(error)")
                continue
            }
            if c.unordered {
                #expect(local.split(separator: "\n").sorted() == remote.split(separator: "\n").sorted(), "\(c)")
            } else if local != remote {
                let l = local.split(separator: "\n", omittingEmptySubsequences: false)
                let r = remote.split(separator: "\n", omittingEmptySubsequences: false)
                let at = (0..<min(l.count, r.count)).first { l[$0] != r[$0] } ?? min(l.count, r.count)
                let localLine = at < l.count ? String(l[at]) : "<end>"
                let remoteLine = at < r.count ? String(r[at]) : "<end>"
                Issue.record("\(c): outputs differ at line \(at + 1) (local \(l.count) lines, ClickHouse \(r.count)):\nlocal:      \(localLine)\nClickHouse: \(remoteLine)")
            }
            compared += 1
            if local.split(separator: "\n").count > 2 { nonEmpty += 1 }
        }
        #expect(compared > 100)
        #expect(nonEmpty > compared * 3 / 4, "most cases should match some flows")
    }

    @Test func everyLiteralIsQuotedNotPasted() throws {
        let hostile = "x' OR 1=1) --"
        let plan = QueryPlan(filter: try FilterProgram(parsing: "src.namespace \"\(hostile)\""), format: .csv)
        var out = OutputBuffer(target: .memory)
        _ = try ClickHouseQuery(client: client, database: database).run(plan, into: &out)
        #expect(out.text.split(separator: "\n").count == 1)  // header only: nothing matched, nothing broke
        #expect(try ClickHouseQuery(client: client, database: database).whereClause(plan).contains("'x\\' OR 1=1) --'"))
    }
}
