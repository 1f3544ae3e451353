import FlowCore
import Testing
@testable import Reports

@Suite struct CronScheduleTests {
    func t(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    @Test func nextRunsFollowEachField() throws {
        let hourly = try CronSchedule(parsing: "@hourly")
        #expect(hourly.next(after: t("2026-11-02T09:00:00Z")) == t("2026-11-02T10:00:00Z"))
        #expect(hourly.next(after: t("2026-11-02T09:59:59Z")) == t("2026-11-02T10:00:00Z"))
        let quarter = try CronSchedule(parsing: "*/15 * * * *")
        #expect(quarter.next(after: t("2026-11-02T09:16:00Z")) == t("2026-11-02T09:30:00Z"))
        // 2026-11-02 is a Monday; 0 0 * * 0 is Sunday midnight.
        let weekly = try CronSchedule(parsing: "0 0 * * sun")
        #expect(weekly.next(after: t("2026-11-02T09:00:00Z")) == t("2026-11-08T00:00:00Z"))
        let monthly = try CronSchedule(parsing: "30 6 1 * *")
        #expect(monthly.next(after: t("2026-11-02T09:00:00Z")) == t("2026-12-01T06:30:00Z"))
        let leap = try CronSchedule(parsing: "0 0 29 feb *")
        #expect(leap.next(after: t("2026-11-02T09:00:00Z")) == t("2028-02-29T00:00:00Z"))
        let never = try CronSchedule(parsing: "0 0 31 2 *")
        #expect(never.next(after: t("2026-11-02T09:00:00Z")) == nil)
    }

    @Test func restrictedDayFieldsAreOred() throws {
        // The 15th or any Friday: from Monday 2026-11-02 the next is Friday the 6th.
        let either = try CronSchedule(parsing: "0 12 15 * 5")
        #expect(either.next(after: t("2026-11-02T00:00:00Z")) == t("2026-11-06T12:00:00Z"))
        #expect(either.next(after: t("2026-11-13T12:00:00Z")) == t("2026-11-15T12:00:00Z"))
    }

    @Test func runsListTheMissedIntervals() throws {
        let hourly = try CronSchedule(parsing: "0 * * * *")
        let runs = hourly.runs(after: t("2026-11-02T09:00:00Z"), through: t("2026-11-02T13:30:00Z"), limit: 100)
        #expect(runs == ["10", "11", "12", "13"].map { t("2026-11-02T\($0):00:00Z") })
        #expect(hourly.runs(after: t("2026-11-02T09:00:00Z"), through: t("2026-11-02T13:30:00Z"), limit: 2).count == 2)
    }

    @Test func malformedExpressionsSayWhy() {
        for (text, message) in [("* * * *", "expected 5 fields"), ("61 * * * *", "minute value '61'"),
                                ("* * * * * *", "found 6"), ("5-1 * * * *", "runs backwards"),
                                ("* * * * *", "60 times an hour"), ("0 0 * xyz *", "month value 'xyz'"),
                                ("*/0 * * * *", "step '0'")] {
            do {
                _ = try CronSchedule(parsing: text)
                Issue.record("'\(text)' parsed")
            } catch let error as FlowlogError {
                #expect(error.message.contains(message), "'\(text)': \(error.message)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}
