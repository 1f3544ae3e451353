import Foundation
import Testing

/// `flowlog report run` end to end on the demo: replay into a store, run the report, check the
/// files, and load the HTML in a real headless browser.
@Suite("report run", .serialized)
struct ReportCommandTests {
    static let root = FlowlogRunner.packageRoot.path
    static let start = "2026-11-02T09:00:00Z"
    static let end = "2026-11-02T10:00:00Z"

    /// The demo store, built once per test run.
    static let store: String = {
        let data = FlowlogRunner.temporaryPath("report-store")
        _ = try? FlowlogRunner.run(["replay", root + "/samples/demo.pcap", "--cluster", root + "/samples/cluster", "--data", data])
        return data
    }()

    static func spec(_ type: String, extra: String = "") throws -> String {
        let path = FlowlogRunner.temporaryPath("spec-\(type).yaml")
        try """
        apiVersion: projectcalico.org/v3
        kind: GlobalReport
        metadata:
          name: demo-\(type)
        spec:
          reportType: \(type)
        \(extra)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func runReport(_ type: String, data: Bool = true, extra: [String] = []) throws -> (FlowlogRunner.Output, String) {
        let output = FlowlogRunner.temporaryPath("report-\(type)")
        var arguments = ["report", "run", "--spec", try spec(type), "--cluster", root + "/samples/cluster",
                         "--start", start, "--end", end, "--output", output] + extra
        if data { arguments += ["--data", store] }
        return (try FlowlogRunner.run(arguments), output)
    }

    /// A CSV file's rows as column → value (RFC 4180 quoting: Calico's descriptions hold commas).
    static func csv(_ path: String) throws -> [[String: String]] {
        let rows = CSVText.rows(try String(contentsOfFile: path, encoding: .utf8))
        guard let header = rows.first else { return [] }
        return rows.dropFirst().map { row in Dictionary(uniqueKeysWithValues: zip(header, row).map { ($0, $1) }) }
    }

    @Test func networkAccessOnTheDemo() throws {
        let (result, output) = try Self.runReport("network-access")
        defer { try? FileManager.default.removeItem(atPath: output) }
        try #require(result.status == 0, "\(result.stderr)")
        // Calico's deterministic id (ReportIDTests works it out): the same name and interval, the same id.
        #expect(result.stdout.hasPrefix("demo-network-access_network-access_f720dfde-c651-5f84-8efc-c561b8af1d88: "))
        let summary = try String(contentsOfFile: output + "/summary.csv", encoding: .utf8).split(separator: "\n")
        // Worked out in ReportsTests' DemoClusterTests: 14 pods, Calico's flags.
        #expect(summary[1] == "2026-11-02T09:00:00Z,2026-11-02T10:00:00Z,,,,,,14,14,0,0,2,14,14,14,0")
        let rows = try Self.csv(output + "/endpoints-flowlog.csv")
        #expect(rows.count == 14)
        // Observed evidence equals what `flowlog query` finds in the same store.
        let frontends = rows.filter { $0["endpoint"]!.contains("shop/frontend-") }
        for row in frontends {
            let pod = row["endpoint"]!.dropFirst("Pod.v1(shop/".count).dropLast()
            let query = try FlowlogRunner.run(["query", "--data", Self.store, "verdict allow and dst.pod \(pod) and src.name_aggr pub",
                                               "--since", Self.start, "--until", Self.end, "-o", "csv"])
            let count = query.stdout.split(separator: "\n").count - 1
            #expect(count > 0 && row["observedAllowedFromInternet"] == String(count), "\(pod)")
        }
        let denied = try FlowlogRunner.run(["query", "--data", Self.store, "verdict deny", "-o", "csv"])
        let json = try FlowlogRunner.json(try String(contentsOfFile: output + "/report.json", encoding: .utf8))
        let observed = (json["summary"] as? [String: Any])?["observed"] as? [String: Any]
        #expect(observed?["flowsDenied"] as? Int == denied.stdout.split(separator: "\n").count - 1)
        #expect(observed?["flowsDenied"] as? Int == 36 && observed?["flowsAllowed"] as? Int == 204)
    }

    @Test func cisBenchmarkOnTheDemo() throws {
        let (result, output) = try Self.runReport("cis-benchmark", data: false)
        defer { try? FileManager.default.removeItem(atPath: output) }
        try #require(result.status == 0, "\(result.stderr)")
        // Scored section 5 tests only (Calico's default): 5.1.1–5.1.4 pass, 5.1.5 and 5.1.6 fail.
        let nodes = try String(contentsOfFile: output + "/node-summary.csv", encoding: .utf8)
        #expect(nodes == "node,version,status,testsPassing,testsFailing,testsUnknown,testsTotal\ncluster,,MED,4,2,0,6\n")
        let failed = try Self.csv(output + "/failed-tests.csv").map { $0["testIndex"]! }
        #expect(failed == ["5.1.5", "5.1.6"])
    }

    /// `--audit`: the state over the interval from the version history of the audit fixture
    /// (Tests/AuditTests/Fixtures/kube-audit.log), worked out from its events.
    @Test func reportsOverTheAuditHistory() throws {
        let work = FlowlogRunner.temporaryPath("report-audit")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let ingest = try FlowlogRunner.run(["audit", "ingest", Self.root + "/Tests/AuditTests/Fixtures/kube-audit.log", "--audit", work + "/audit"])
        try #require(ingest.status == 0 || ingest.status == 2, "\(ingest.stderr)")
        func run(_ type: String, _ start: String, _ end: String) throws -> (FlowlogRunner.Output, String) {
            let output = work + "/\(type)-\(start)"
            return (try FlowlogRunner.run(["report", "run", "--spec", try Self.spec(type), "--audit", work + "/audit",
                                           "--start", start, "--end", end, "--output", output]), output)
        }
        // Policy changes 07:00–09:00: created deny-all (07:01), shop/allow-web (07:02), db/allow-shop (07:03);
        // modified allow-web (07:30) and allow-shop (07:40) (the 07:20 patch changed nothing and the 07:29:59
        // update arrived stale, as the ingest reports); allow-web deleted with its namespace (08:00).
        let (audit, auditOutput) = try run("policy-audit", "2026-11-23T07:00:00Z", "2026-11-23T09:00:00Z")
        try #require(audit.status == 0, "\(audit.stderr)")
        let summary = try String(contentsOfFile: auditOutput + "/summary.csv", encoding: .utf8).split(separator: "\n")
        #expect(summary[1] == "2026-11-23T07:00:00Z,2026-11-23T09:00:00Z,,,,,,3,2,1")
        let events = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: auditOutput + "/events.json"))) as? [[String: Any]])
        #expect(events.map { "\($0["verb"]!) \($0["name"]!) \($0["author"]!)" } == [
            "create default.deny-all alice@example.com", "create default.allow-web bob@example.com",
            "create allow-shop carol@example.com", "modify default.allow-web bob@example.com",
            "modify allow-shop carol@example.com", "delete default.allow-web alice@example.com"])
        // Until 07:03 only the first two creates.
        let (early, earlyOutput) = try run("policy-audit", "2026-11-23T07:00:00Z", "2026-11-23T07:03:00Z")
        try #require(early.status == 0, "\(early.stderr)")
        #expect(try String(contentsOfFile: earlyOutput + "/summary.csv", encoding: .utf8).hasSuffix(",2,0,0\n"))

        // Endpoints: frontend-1 existed 07:04–08:00 and stays in scope; both pods are covered by deny-all.
        let (access, accessOutput) = try run("network-access", "2026-11-23T07:00:00Z", "2026-11-23T09:00:00Z")
        try #require(access.status == 0, "\(access.stderr)")
        let rows = try Self.csv(accessOutput + "/endpoints-flowlog.csv")
        #expect(rows.map { $0["endpoint"]! } == ["Pod.v1(db/postgres-0)", "Pod.v1(shop/frontend-1)"])
        #expect(rows.allSatisfy { $0["calicoIngressProtected"] == "true" && $0["ingressDefaultDeny"] == "true" })
        let json = try FlowlogRunner.json(try String(contentsOfFile: accessOutput + "/report.json", encoding: .utf8))
        let source = try #require(json["stateSource"] as? [String: Any])
        #expect(source["kind"] as? String == "history")
        #expect((source["statesAssessed"] as? Int ?? 0) > 5)
        let html = try String(contentsOfFile: accessOutput + "/report.html", encoding: .utf8)
        #expect(html.contains("data-state-source=\"history\""))
    }

    @Test func refusalsSayWhatAndExitWithTheRightStatus() throws {
        let kubeBench = try Self.runReport("cis-benchmark", data: false, extra: ["--kube-bench", "node-1=/nonexistent/kube-bench.json"])
        #expect(kubeBench.0.status == 2 && kubeBench.0.stderr.contains("/nonexistent/kube-bench.json"))
        let audit = try Self.runReport("policy-audit", data: false)
        #expect(audit.0.status == 64 && audit.0.stderr.contains("--audit DIR"))
        let missing = try Self.runReport("inventory", data: false, extra: ["--data", "/nonexistent/flowlog-data"])
        #expect(missing.0.status == 1 && missing.0.stderr.contains("no such store directory"))
        let bad = FlowlogRunner.temporaryPath("bad.yaml")
        try "apiVersion: projectcalico.org/v3\nkind: GlobalReport\nmetadata: {name: x}\nspec:\n  reportType: everything\n"
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let invalid = try FlowlogRunner.run(["report", "run", "--spec", bad, "--cluster", Self.root + "/samples/cluster",
                                             "--start", Self.start, "--end", Self.end, "--output", FlowlogRunner.temporaryPath("x")])
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("\(bad):5:15, spec.reportType: GlobalReport x: unknown report type 'everything'"))
        let backwards = try Self.runReport("inventory", data: false, extra: ["--start", Self.end, "--end", Self.start])
        #expect(backwards.0.status == 64 && backwards.0.stderr.contains("flowlog: error: --start: the report's start"))
    }
}
