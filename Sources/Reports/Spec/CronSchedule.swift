import FlowCore

/// A five-field cron expression (minute hour day-of-month month day-of-week), as
/// `GlobalReport.spec.schedule` takes it, evaluated in UTC.
///
/// Fields take `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists, and month and
/// weekday names; `@hourly`, `@daily`/`@midnight`, `@weekly`, `@monthly`, `@yearly`/`@annually`
/// stand for their usual expansions. When both day fields are restricted a day matching either
/// one fires (the classic cron rule). Each run's end is the next run's start (compliance §1.2).
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    /// Bit i set: value i allowed.
    let minutes: UInt64
    let hours: UInt32
    let daysOfMonth: UInt32
    let months: UInt16
    let daysOfWeek: UInt8
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool
    public let text: String

    /// Calico documents at most 12 runs per hour (its API comment says 2; the looser limit is kept).
    public static let maximumRunsPerHour = 12
    static let maximumLength = 256

    public init(parsing text: String) throws {
        guard text.utf8.count <= Self.maximumLength else {
            throw FlowlogError(.parse, "longer than \(Self.maximumLength) bytes")
        }
        self.text = text
        var expression = text.trimmingSpaces
        switch expression {
        case "@hourly": expression = "0 * * * *"
        case "@daily", "@midnight": expression = "0 0 * * *"
        case "@weekly": expression = "0 0 * * 0"
        case "@monthly": expression = "0 0 1 * *"
        case "@yearly", "@annually": expression = "0 0 1 1 *"
        default: break
        }
        let fields = expression.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw FlowlogError(.parse, "expected 5 fields (minute hour day-of-month month day-of-week), found \(fields.count)")
        }
        minutes = try Self.field(fields[0], name: "minute", range: 0...59, names: [:])
        hours = UInt32(try Self.field(fields[1], name: "hour", range: 0...23, names: [:]))
        daysOfMonth = UInt32(try Self.field(fields[2], name: "day-of-month", range: 1...31, names: [:]))
        months = UInt16(try Self.field(fields[3], name: "month", range: 1...12, names: Self.monthNames))
        // 7 is Sunday too.
        var week = try Self.field(fields[4], name: "day-of-week", range: 0...7, names: Self.dayNames)
        if week & (1 << 7) != 0 { week = (week | 1) & 0x7F }
        daysOfWeek = UInt8(week)
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
        if minutes.nonzeroBitCount > Self.maximumRunsPerHour {
            throw FlowlogError(.validation, "runs \(minutes.nonzeroBitCount) times an hour; at most \(Self.maximumRunsPerHour) are allowed")
        }
    }

    public var description: String { text }

    /// The first run strictly after `time` (whole minutes, UTC); nil if none within 8 years
    /// (only a day that never exists, such as 31 February, gets there).
    public func next(after time: Timestamp) -> Timestamp? {
        var minute = time.nanoseconds / 60_000_000_000 + 1
        let limit = minute + 8 * 366 * 1_440
        while minute < limit {
            let day = Int64(minute / 1_440)
            let (_, month, dayOfMonth) = Timestamp.civilDate(daysSinceEpoch: day)
            // 1970-01-01 was a Thursday.
            let weekday = Int((day + 4) % 7)
            guard months & (1 << UInt16(month)) != 0, dayMatches(dayOfMonth: Int(dayOfMonth), weekday: weekday) else {
                minute = UInt64(day + 1) * 1_440
                continue
            }
            let minuteOfDay = Int(minute % 1_440)
            let hour = minuteOfDay / 60
            guard hours & (1 << UInt32(hour)) != 0 else {
                minute = UInt64(day) * 1_440 + UInt64(hour + 1) * 60
                continue
            }
            guard minutes & (1 << UInt64(minuteOfDay % 60)) != 0 else {
                minute += 1
                continue
            }
            return Timestamp(nanoseconds: minute * 60_000_000_000)
        }
        return nil
    }

    /// Runs in `(after, through]`, oldest first, at most `limit` of them.
    public func runs(after: Timestamp, through: Timestamp, limit: Int) -> [Timestamp] {
        var out: [Timestamp] = []
        var t = after
        while out.count < limit, let n = next(after: t), n <= through {
            out.append(n)
            t = n
        }
        return out
    }

    private func dayMatches(dayOfMonth: Int, weekday: Int) -> Bool {
        let domOK = daysOfMonth & (1 << UInt32(dayOfMonth)) != 0
        let dowOK = daysOfWeek & (1 << UInt8(weekday)) != 0
        if dayOfMonthRestricted && dayOfWeekRestricted { return domOK || dowOK }
        return domOK && dowOK
    }

    static let monthNames = ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
                             "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12]
    static let dayNames = ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]

    private static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String: Int]) throws -> UInt64 {
        var bits: UInt64 = 0
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, !pieces[0].isEmpty else {
                throw FlowlogError(.parse, "\(name) field '\(part)' is malformed")
            }
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s >= 1, s <= range.upperBound + 1 else {
                    throw FlowlogError(.parse, "\(name) step '\(pieces[1])' must be a number from 1 to \(range.upperBound + 1)")
                }
                step = s
            }
            var low = range.lowerBound, high = range.upperBound
            if pieces[0] != "*" {
                let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2 else { throw FlowlogError(.parse, "\(name) range '\(pieces[0])' is malformed") }
                low = try value(String(bounds[0]), name: name, range: range, names: names)
                high = bounds.count == 2 ? try value(String(bounds[1]), name: name, range: range, names: names)
                    : (pieces.count == 2 ? range.upperBound : low)
                guard low <= high else { throw FlowlogError(.parse, "\(name) range '\(pieces[0])' runs backwards") }
            }
            var v = low
            while v <= high {
                bits |= 1 << UInt64(v)
                v += step
            }
        }
        return bits
    }

    private static func value(_ text: String, name: String, range: ClosedRange<Int>, names: [String: Int]) throws -> Int {
        if let n = Int(text), range.contains(n) { return n }
        if let n = names[text.lowercased()] { return n }
        throw FlowlogError(.parse, "\(name) value '\(text)' is not in \(range.lowerBound)-\(range.upperBound)")
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
