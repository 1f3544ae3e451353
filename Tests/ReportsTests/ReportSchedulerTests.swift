import FlowCore
import Foundation
import Policy
import Testing
@testable import Reports

/// Scheduled reports: intervals, catch-up after downtime and suspend, the archive as the record.
@Suite struct ReportSchedulerTests {
    func t(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    func hourly(_ name: String = "hourly-access", suspend: Bool = false, type: ReportType = .networkAccess) throws -> ReportSpec {
        ReportSpec(name: name, type: type, schedule: try CronSchedule(parsing: "0 * * * *"), suspend: suspend)
    }

    @Test func intervalsStartAtTheFirstTickAfterTheReportWasSeen() throws {
        let scheduler = ReportScheduler(dataDirectory: "/unused", delay: .seconds(1_800))
        let spec = try hourly()
        // Seen at 09:10: the first interval is 10:00–11:00, due at 11:30.
        #expect(scheduler.dueIntervals(spec, firstSeen: t("2026-11-02T09:10:00Z"), lastEnd: nil, now: t("2026-11-02T11:29:00Z")).isEmpty)
        let due = scheduler.dueIntervals(spec, firstSeen: t("2026-11-02T09:10:00Z"), lastEnd: nil, now: t("2026-11-02T11:30:00Z"))
        #expect(due.map(\.start) == [t("2026-11-02T10:00:00Z")] && due.map(\.end) == [t("2026-11-02T11:00:00Z")])
        // Each end is the next start.
        let more = scheduler.dueIntervals(spec, firstSeen: t("2026-11-02T09:10:00Z"), lastEnd: t("2026-11-02T11:00:00Z"),
                                          now: t("2026-11-02T15:45:00Z"))
        #expect(more.map(\.start) == ["11", "12", "13", "14"].map { t("2026-11-02T\($0):00:00Z") })
        #expect(more.map(\.end) == ["12", "13", "14", "15"].map { t("2026-11-02T\($0):00:00Z") })
        // Suspended: nothing; the same intervals come back on resume.
        #expect(scheduler.dueIntervals(try hourly(suspend: true), firstSeen: t("2026-11-02T09:10:00Z"),
                                       lastEnd: t("2026-11-02T11:00:00Z"), now: t("2026-11-02T15:45:00Z")).isEmpty)
        // Without a schedule: never.
        #expect(scheduler.dueIntervals(ReportSpec(name: "x", type: .inventory), firstSeen: .zero, lastEnd: nil, now: t("2026-11-02T15:45:00Z")).isEmpty)
        var limited = scheduler
        limited.catchUpLimit = 2
        #expect(limited.dueIntervals(spec, firstSeen: .zero, lastEnd: t("2026-11-02T11:00:00Z"), now: t("2026-11-02T15:45:00Z")).count == 2)
    }

    @Test func passesWriteTheArchiveAndCatchUpAfterDowntimeAndSuspend() throws {
        let data = ReportFixtures.temporaryDirectory("scheduled")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let cluster = try ReportFixtures.demoCluster
        var loads = 0
        let states: () throws -> PolicyStateSource = {
            loads += 1
            return ManifestStateSource(cluster: cluster, paths: ["samples/cluster"])
        }
        let scheduler = ReportScheduler(dataDirectory: data, delay: .seconds(600))
        // First pass at 09:05 only records when the report was seen; nothing is due, the cluster is not read.
        let first = try scheduler.runDue([try hourly()], now: t("2026-11-02T09:05:00Z"), states: states)
        #expect(first.written.isEmpty && loads == 0)
        #expect(try ScheduleState.load(scheduler.archive).firstSeen == ["hourly-access": t("2026-11-02T09:05:00Z")])
        // Down until 13:20: 10–11, 11–12 and 12–13 are due (13–14 is not over).
        let second = try scheduler.runDue([try hourly()], now: t("2026-11-02T13:20:00Z"), states: states)
        #expect(second.written == ["10", "11", "12"].map {
            ReportID.make(name: "hourly-access", type: .networkAccess, start: t("2026-11-02T\($0):00:00Z"),
                          end: Timestamp(nanoseconds: t("2026-11-02T\($0):00:00Z").nanoseconds + 3_600_000_000_000))
        })
        #expect(loads == 1)
        // Again at the same moment: nothing new (the archive is the record).
        #expect(try scheduler.runDue([try hourly()], now: t("2026-11-02T13:20:00Z"), states: states).written.isEmpty)
        // Suspended over the next hours, then resumed at 16:15: 13–14, 14–15 and 15–16 are caught up.
        #expect(try scheduler.runDue([try hourly(suspend: true)], now: t("2026-11-02T15:30:00Z"), states: states).written.isEmpty)
        let resumed = try scheduler.runDue([try hourly()], now: t("2026-11-02T16:15:00Z"), states: states)
        #expect(resumed.written.count == 3)
        let archived = try scheduler.archive.list()
        #expect(archived.map(\.start) == ["10", "11", "12", "13", "14", "15"].map { t("2026-11-02T\($0):00:00Z") })
        #expect(archived.allSatisfy { $0.name == "hourly-access" && $0.type == .networkAccess && $0.files.contains("report.html") })
        // Losing the state file loses no interval: the archive says where to go on.
        try FileManager.default.removeItem(atPath: scheduler.archive.directory + "/schedule.json")
        #expect(try scheduler.runDue([try hourly()], now: t("2026-11-02T16:15:00Z"), states: states).written.isEmpty)
        let report = try scheduler.archive.report(id: archived[0].id)
        #expect(report.end == t("2026-11-02T11:00:00Z"))
        #expect(throws: FlowlogError.self) { try scheduler.archive.report(id: "nope_inventory_x") }
    }

    @Test func reportsThatCannotRunAreSkippedWithTheReason() throws {
        let data = ReportFixtures.temporaryDirectory("skipped")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let scheduler = ReportScheduler(dataDirectory: data, delay: .zero)
        let specs = [try hourly("audit", type: .policyAudit), try hourly("cis", type: .cisBenchmark), ReportSpec(name: "adhoc", type: .inventory)]
        _ = try scheduler.runDue(specs, now: t("2026-11-02T09:05:00Z")) { fatalError("nothing is due") }
        let pass = try scheduler.runDue(specs, now: t("2026-11-02T11:05:00Z")) {
            ManifestStateSource(cluster: try ReportFixtures.demoCluster, paths: [])
        }
        #expect(pass.written.isEmpty)
        #expect(pass.skipped.map(\.name) == ["audit", "cis", "adhoc"])
        #expect(pass.skipped.first { $0.name == "audit" }?.reason == "policy-audit reports need the policy version history")
        #expect(pass.skipped.first { $0.name == "adhoc" }?.reason == "it has no schedule")
    }

    @Test func aDamagedStateFileIsAnErrorNamingIt() throws {
        let data = ReportFixtures.temporaryDirectory("damaged")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let archive = ReportArchive(dataDirectory: data)
        try FileManager.default.createDirectory(atPath: archive.directory, withIntermediateDirectories: true)
        try "{not json".write(toFile: archive.directory + "/schedule.json", atomically: true, encoding: .utf8)
        let error = #expect(throws: FlowlogError.self) { try ScheduleState.load(archive) }
        #expect(error?.code == .corrupt && error?.location?.file == archive.directory + "/schedule.json")
    }
}
