@testable import ClickHouse
import Audit
import FlowCore
import Foundation
import Testing

/// Archived compliance reports into `report_results`: every report once, new and re-run
/// reports only on the next pass, and a batch left pending by a crash settled whatever part of
/// it reached the table.
@Suite(.enabled(if: TestServer.available, TestServer.skipReason), .serialized)
struct ReportExportTests {
    /// Writes an archived report as the report writer lays it out (`DATA/reports/<id>/`):
    /// summary.csv (whose first two cells give the interval) and report.json with `endpoints`
    /// objects and a nested array under `flows`. Returns its id.
    @discardableResult
    static func writeReport(_ data: String, name: String, hour: Int, endpoints: Int, generation: String = "2026-12-01T00:00:00Z") throws -> String {
        let id = "\(name)_network-access_\(UUID().uuidString.lowercased())"
        let directory = data + "/reports/" + id
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let start = String(format: "2026-11-02T%02d:00:00Z", hour), end = String(format: "2026-11-02T%02d:00:00Z", hour + 1)
        try "startTime,endTime,endpointsNumInScope\n\(start),\(end),\(endpoints)\n".write(toFile: directory + "/summary.csv", atomically: true, encoding: .utf8)
        let items = (0..<endpoints).map { i in
            #"{"endpoint":"Pod.v1(shop/web-\#(i))","namespace":"shop","calico":{"ingressProtected":\#(i % 2 == 0)},"#
                + #""appliedPolicies":["GlobalNetworkPolicy(default-deny)","NetworkPolicy(shop/web-\#(i))"],"note":null}"#
        }
        let json = #"{"formatVersion":1,"id":"\#(id)","reportName":"\#(name)","reportType":"network-access","startTime":"\#(start)","#
            + #""endTime":"\#(end)","generationTime":"\#(generation)","summary":{"calico":{"endpointsNumInScope":\#(endpoints)}},"#
            + #""endpoints":[\#(items.joined(separator: ","))],"flows":{"flowsScanned":12,"matrix":[{"source":"shop","destination":"db","allowed":3}]}}"#
        try json.write(toFile: directory + "/report.json", atomically: true, encoding: .utf8)
        return id
    }

    func exporter(_ data: String, database: String) throws -> ReportResultExporter {
        var options = ReportResultExporter.Options(dataDirectory: data)
        options.database = database
        options.batchRows = 25
        return try ReportResultExporter(options: options, client: try TestServer.client(), log: { _ in })
    }

    @Test func everyReportOnceThenOnlyNewOrRerunOnes() throws {
        let client = try TestServer.client()
        let data = TestStore.temporaryDirectory("reports")
        defer { TestStore.remove(data) }
        let first = try Self.writeReport(data, name: "hourly", hour: 9, endpoints: 30)
        try Self.writeReport(data, name: "hourly", hour: 10, endpoints: 5)
        try Self.writeReport(data, name: "other", hour: 9, endpoints: 0)
        // Each report: itself, its endpoints and the one matrix object.
        let rows: UInt64 = (1 + 30 + 1) + (1 + 5 + 1) + (1 + 0 + 1)
        let database = try TestServer.freshDatabase("reports", on: [client])
        var e = try exporter(data, database: database)
        try e.prepare()
        #expect(try e.exportAvailable() == .init(reports: 3, rows: rows))
        #expect(try e.exportAvailable() == .init())
        e.close()
        #expect(try TestServer.count(client, "SELECT count() FROM \(database).report_results") == rows)
        #expect(try TestServer.count(client, "SELECT uniqExact(report_id, item, item_index) FROM \(database).report_results") == rows)
        let summary = String(decoding: try client.execute("SELECT report_name, report_type, values[indexOf(fields, 'summary.calico.endpointsNumInScope')],"
            + " toString(start) FROM \(database).report_results WHERE report_id = '\(first)' AND item = 'report' FORMAT TSV"), as: UTF8.self)
        #expect(summary == "hourly\tnetwork-access\t30\t2026-11-02 09:00:00\n")
        #expect(try TestServer.count(client, "SELECT count() FROM \(database).report_results WHERE item = 'endpoints'"
            + " AND values[indexOf(fields, 'calico.ingressProtected')] = 'true'") == 15 + 3)

        // A later report, and the first one run again (its report.json rewritten): a restarted
        // exporter sends those two only; the re-run arrives under its new digest.
        try Self.writeReport(data, name: "hourly", hour: 11, endpoints: 2)
        let rerun = try String(contentsOfFile: data + "/reports/\(first)/report.json", encoding: .utf8)
            .replacingOccurrences(of: "2026-12-01T00:00:00Z", with: "2026-12-02T00:00:00Z")
        try rerun.write(toFile: data + "/reports/\(first)/report.json", atomically: true, encoding: .utf8)
        e = try exporter(data, database: database)
        try e.prepare()
        #expect(try e.exportAvailable() == .init(reports: 2, rows: (1 + 2 + 1) + (1 + 30 + 1)))
        #expect(try e.exportAvailable() == .init())
        e.close()
        #expect(try TestServer.count(client, "SELECT uniqExact(digest) FROM \(database).report_results WHERE report_id = '\(first)'") == 2)
        // A report gone from the archive leaves the checkpoint.
        TestStore.remove(data + "/reports/\(first)")
        e = try exporter(data, database: database)
        try e.prepare()
        #expect(try e.exportAvailable() == .init())
        #expect(e.checkpoint.done[first] == nil && e.checkpoint.done.count == 3)
        e.close()
        try client.execute("DROP DATABASE \(database)")
    }

    @Test(arguments: ["none", "half", "all"])
    func aPendingBatchIsSettledWhateverReachedTheTable(present: String) throws {
        let client = try TestServer.client()
        let data = TestStore.temporaryDirectory("reports-pending-\(present)")
        defer { TestStore.remove(data) }
        for hour in 0..<4 { try Self.writeReport(data, name: "hourly", hour: hour, endpoints: 10) }
        let rows: UInt64 = 4 * 12
        let database = try TestServer.freshDatabase("reports_pending_\(present)", on: [client])
        var e = try exporter(data, database: database)
        try e.prepare()
        _ = try e.exportAvailable()
        let path = e.checkpointPath
        var checkpoint = e.checkpoint
        e.close()
        switch present {
        case "none": try client.execute("ALTER TABLE \(database).report_results DELETE WHERE 1")
        case "half": try client.execute("ALTER TABLE \(database).report_results DELETE WHERE item_index % 2 = 0")
        default: break
        }
        while try TestServer.count(client, "SELECT count() FROM system.mutations WHERE database = '\(database)' AND is_done = 0") > 0 {}
        // Rewind the checkpoint to "sent, not confirmed": all four reports in one batch.
        let sent = checkpoint.done.map { ReportExportCheckpoint.Sent(id: $0.key, digest: $0.value) }.sorted { $0.id < $1.id }
        checkpoint.done = [:]
        checkpoint.pending = .init(rows: rows, queryID: "flowlog-report-test-\(present)", reports: sent)
        try checkpoint.store(path)

        e = try exporter(data, database: database)
        try e.prepare()
        #expect(e.checkpoint.pending == nil && e.checkpoint.done.count == 4)
        #expect(try e.exportAvailable() == .init())
        e.close()
        #expect(try TestServer.count(client, "SELECT count() FROM \(database).report_results") == rows)
        #expect(try TestServer.count(client, "SELECT uniqExact(report_id, item, item_index) FROM \(database).report_results") == rows)
        try client.execute("DROP DATABASE \(database)")
    }
}

/// How a report.json becomes rows, and the report checkpoint's format: no server needed.
@Suite struct ReportRowsTests {
    @Test func reportsAreItemsOfFieldsAndValues() throws {
        let document = try JSONParser.parse(#"{"a":1,"s":{"x":"y","n":null,"l":[1,2]},"e":[{"k":true,"o":{"p":"q"},"z":[{"deep":1}]},{"k":false}],"m":{"e":[{"v":"w"}]},"empty":[]}"#)
        let items = ReportResultTable.items(of: document)
        #expect(items == [
            .init(name: "report", index: 0, fields: ["a", "s.x", "s.n", "s.l", "empty"], values: ["1", "y", "", "[1,2]", "[]"]),
            .init(name: "e", index: 0, fields: ["k", "o.p", "z"], values: ["true", "q", #"[{"deep":1}]"#]),
            .init(name: "e", index: 1, fields: ["k"], values: ["false"]),
            .init(name: "m.e", index: 0, fields: ["v"], values: ["w"]),
        ])
    }

    @Test func theCheckpointRoundTripsAndDamageIsFound() throws {
        var c = ReportExportCheckpoint(storeID: String(repeating: "cd", count: 16), target: "127.0.0.1:8123 flowlog report_results")
        c.reportsExported = 3
        c.rowsExported = 99
        c.done = ["a_inventory_1": String(repeating: "0", count: 64), "b_inventory_2": String(repeating: "1", count: 64)]
        c.pending = .init(rows: 7, queryID: "flowlog-report-x", reports: [.init(id: "c_inventory_3", digest: String(repeating: "2", count: 64))])
        #expect(try ReportExportCheckpoint.decode(c.encoded(), file: "c") == c)
        var damaged = c.encoded()
        damaged[damaged.count / 2] ^= 1
        #expect(throws: FlowlogError.self) { _ = try ReportExportCheckpoint.decode(damaged, file: "c") }
    }
}
