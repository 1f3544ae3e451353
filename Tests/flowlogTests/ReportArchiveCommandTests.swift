import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Scheduled reports in the agent (catch-up on start) and `flowlog report list|show` over the archive.
@Suite("report list, show and the agent's scheduled reports", .serialized)
struct ReportArchiveCommandTests {
    static let root = FlowlogRunner.packageRoot.path

    static func spec(at path: String, name: String = "hourly-access") throws {
        try """
        apiVersion: projectcalico.org/v3
        kind: GlobalReport
        metadata: {name: \(name)}
        spec: {reportType: network-access, schedule: '0 * * * *', endpoints: {namespaces: {names: [shop]}}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func listAndShowAnArchive() throws {
        let work = FlowlogRunner.temporaryPath("archive")
        try FileManager.default.createDirectory(atPath: work + "/data/reports", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try Self.spec(at: work + "/spec.yaml")
        let run = try FlowlogRunner.run(["report", "run", "--spec", work + "/spec.yaml", "--cluster", Self.root + "/samples/cluster",
                                         "--start", "2026-11-02T09:00:00Z", "--end", "2026-11-02T10:00:00Z", "--output", work + "/out"])
        try #require(run.status == 0, "\(run.stderr)")
        let id = String(run.stdout.prefix { $0 != ":" })
        try FileManager.default.moveItem(atPath: work + "/out", toPath: work + "/data/reports/" + id)

        let list = try FlowlogRunner.run(["report", "list", "--data", work + "/data"])
        #expect(list.status == 0, "\(list.stderr)")
        let rows = list.stdout.split(separator: "\n")
        #expect(rows.count == 2 && rows[0].hasPrefix("ID "))
        #expect(rows[1].hasPrefix(id) && rows[1].contains("network-access  2026-11-02T09:00:00Z  2026-11-02T10:00:00Z"))
        let json = try FlowlogRunner.run(["report", "list", "--data", work + "/data", "-o", "json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(parsed?.first?["id"] as? String == id && parsed?.first?["name"] as? String == "hourly-access")

        let show = try FlowlogRunner.run(["report", "show", id, "--data", work + "/data"])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("interval   2026-11-02T09:00:00Z to 2026-11-02T10:00:00Z"))
        // shop's eight pods, all Calico-protected: the summary as name/value lines.
        let lines = show.stdout.split(separator: "\n").map { $0.split(separator: " ") }
        #expect(lines.contains { $0 == ["namespaceNames", "shop"] })
        #expect(lines.contains { $0 == ["endpointsNumIngressProtected", "8"] })
        let file = try FlowlogRunner.run(["report", "show", id, "--data", work + "/data", "--file", "summary.csv"])
        #expect(file.stdout == (try String(contentsOfFile: work + "/data/reports/\(id)/summary.csv", encoding: .utf8)))
        let missing = try FlowlogRunner.run(["report", "show", id, "--data", work + "/data", "--file", "nope.csv"])
        #expect(missing.status == 1 && missing.stderr.contains("the report has no file 'nope.csv'"))
        let unknown = try FlowlogRunner.run(["report", "show", "nope_inventory_x", "--data", work + "/data"])
        #expect(unknown.status == 1 && unknown.stderr.contains("no report with id 'nope_inventory_x'"))
    }

    @Test func theAgentCatchesUpMissedIntervalsOnStart() throws {
        guard geteuid() == 0 else {
            print("skipped: the agent's live capture needs CAP_NET_RAW (run the tests as root)")
            return
        }
        let work = FlowlogRunner.temporaryPath("scheduled")
        try FileManager.default.createDirectory(atPath: work + "/data/reports", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try Self.spec(at: work + "/hourly.yaml")
        // First seen three hours ago and never run since (the agent was down): the two whole
        // hours after the first tick are due at once.
        let seen = Date().addingTimeInterval(-3 * 3600)
        let formatter = ISO8601DateFormatter()
        try "{\"formatVersion\": 1, \"firstSeen\": {\"hourly-access\": \"\(formatter.string(from: seen))\"}}\n"
            .write(toFile: work + "/data/reports/schedule.json", atomically: true, encoding: .utf8)
        try """
            capture: {interfaces: [lo], filter: "udp and host 127.0.0.3"}
            cluster: {manifests: [\(Self.root)/samples/cluster]}
            data-directory: \(work)/data
            metrics: {address: "off"}
            reports: {specs: [\(work)/hourly.yaml], delay: 0s, check-interval: 1s}

            """.write(toFile: work + "/agent.yaml", atomically: true, encoding: .utf8)
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: FlowlogRunner.executable)
        agent.arguments = ["agent", "--config", work + "/agent.yaml"]
        agent.standardOutput = FileHandle.nullDevice
        agent.standardError = FileHandle.nullDevice
        try agent.run()
        defer { if agent.isRunning { agent.terminate() } }
        func reports() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: work + "/data/reports")) ?? []).filter { $0.hasPrefix("hourly-access_") }
        }
        let deadline = Date().addingTimeInterval(60)
        while reports().count < 2 && Date() < deadline { usleep(200_000) }
        kill(agent.processIdentifier, SIGTERM)
        agent.waitUntilExit()
        #expect(agent.terminationStatus == 0)
        #expect(reports().count == 2)
        let list = try FlowlogRunner.run(["report", "list", "--data", work + "/data", "-o", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 2)
        let ends = rows.compactMap { $0["endTime"] as? String }.compactMap { formatter.date(from: $0) }
        let starts = rows.compactMap { $0["startTime"] as? String }.compactMap { formatter.date(from: $0) }
        // Consecutive whole hours, the second ending at or before now.
        #expect(ends.count == 2 && starts.count == 2 && starts[1] == ends[0])
        #expect(ends.allSatisfy { Int($0.timeIntervalSince1970) % 3600 == 0 && $0 <= Date() })
    }

    /// A scheduled policy-audit report reads the agent's audit history (`audit.directory`): the
    /// API server's events (here ingested beforehand from the audit fixture, Tests/AuditTests)
    /// are counted in the interval they happened in, caught up after the agent was down.
    @Test func scheduledPolicyAuditReadsTheAgentsAuditHistory() throws {
        guard geteuid() == 0 else {
            print("skipped: the agent's live capture needs CAP_NET_RAW (run the tests as root)")
            return
        }
        let work = FlowlogRunner.temporaryPath("scheduled-audit")
        try FileManager.default.createDirectory(atPath: work + "/data/reports", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let ingest = try FlowlogRunner.run(["audit", "ingest", Self.root + "/Tests/AuditTests/Fixtures/kube-audit.log", "--audit", work + "/audit"])
        try #require(ingest.status == 0 || ingest.status == 2, "\(ingest.stderr)")
        try """
        apiVersion: projectcalico.org/v3
        kind: GlobalReport
        metadata: {name: daily-audit}
        spec: {reportType: policy-audit, schedule: '0 0 * * *'}
        """.write(toFile: work + "/daily-audit.yaml", atomically: true, encoding: .utf8)
        // First seen the day before the fixture's events; the agent was down since: every day
        // from 2026-11-23 to the last midnight is due at once.
        try "{\"formatVersion\": 1, \"firstSeen\": {\"daily-audit\": \"2026-11-22T12:00:00Z\"}}\n"
            .write(toFile: work + "/data/reports/schedule.json", atomically: true, encoding: .utf8)
        try """
            capture: {interfaces: [lo], filter: "udp and host 127.0.0.3"}
            cluster: {manifests: [\(Self.root)/samples/cluster]}
            data-directory: \(work)/data
            metrics: {address: "off"}
            audit: {directory: \(work)/audit}
            reports: {specs: [\(work)/daily-audit.yaml], delay: 0s, check-interval: 1s}

            """.write(toFile: work + "/agent.yaml", atomically: true, encoding: .utf8)
        let firstDay = Date(timeIntervalSince1970: 1_795_392_000)  // 2026-11-23T00:00:00Z
        let days = Int(Date().timeIntervalSince(firstDay) / 86_400)
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: FlowlogRunner.executable)
        agent.arguments = ["agent", "--config", work + "/agent.yaml"]
        agent.standardOutput = FileHandle.nullDevice
        agent.standardError = FileHandle.nullDevice
        try agent.run()
        defer { if agent.isRunning { agent.terminate() } }
        func reports() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: work + "/data/reports")) ?? []).filter { $0.hasPrefix("daily-audit_") }
        }
        let deadline = Date().addingTimeInterval(90)
        while reports().count < days && Date() < deadline { usleep(200_000) }
        kill(agent.processIdentifier, SIGTERM)
        agent.waitUntilExit()
        #expect(agent.terminationStatus == 0)
        #expect(reports().count == days)
        let list = try FlowlogRunner.run(["report", "list", "--data", work + "/data", "-o", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        let first = try #require(rows.first { $0["startTime"] as? String == "2026-11-23T00:00:00Z" })
        let directory = try #require(first["directory"] as? String)
        // The fixture's changes (ReportCommandTests works them out): 3 created, 2 modified, 1 deleted.
        let summary = try String(contentsOfFile: directory + "/summary.csv", encoding: .utf8).split(separator: "\n")
        #expect(summary.last == "2026-11-23T00:00:00Z,2026-11-24T00:00:00Z,,,,,,3,2,1")
        let events = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/events.json"))) as? [[String: Any]])
        #expect(events.map { $0["verb"] as? String } == ["create", "create", "create", "modify", "modify", "delete"])
        let json = try FlowlogRunner.json(try String(contentsOfFile: directory + "/report.json", encoding: .utf8))
        #expect((json["stateSource"] as? [String: Any])?["kind"] as? String == "history")
        // The next day saw no change.
        let next = try #require(rows.first { $0["startTime"] as? String == "2026-11-24T00:00:00Z" })
        let quiet = try String(contentsOfFile: (next["directory"] as! String) + "/summary.csv", encoding: .utf8)
        #expect(quiet.hasSuffix(",0,0,0\n"))
    }
}
