/// Nanoseconds since the Unix epoch, UTC.
public struct Timestamp: Hashable, Comparable, Sendable {
    public var nanoseconds: UInt64

    @inlinable public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
    @inlinable public init(seconds: UInt64, nanoseconds: UInt64) {
        self.nanoseconds = seconds &* 1_000_000_000 &+ nanoseconds
    }

    public static let zero = Timestamp(nanoseconds: 0)
    @inlinable public static func < (l: Timestamp, r: Timestamp) -> Bool { l.nanoseconds < r.nanoseconds }

    public var seconds: UInt64 { nanoseconds / 1_000_000_000 }
}

// MARK: - RFC 3339

extension Timestamp: CustomStringConvertible {
    /// RFC 3339 in UTC with nanoseconds, e.g. `2026-11-23T07:08:24.123456789Z`.
    public var rfc3339: String {
        let secs = Int64(nanoseconds / 1_000_000_000)
        let frac = nanoseconds % 1_000_000_000
        let (y, mo, d) = Timestamp.civilDate(daysSinceEpoch: secs / 86_400)
        let sod = secs % 86_400
        func pad(_ v: Int64, _ w: Int) -> String {
            let s = String(v)
            return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
        }
        let fracText = String(frac)
        return "\(pad(y, 4))-\(pad(mo, 2))-\(pad(d, 2))T\(pad(sod / 3600, 2)):\(pad(sod / 60 % 60, 2)):\(pad(sod % 60, 2))."
            + String(repeating: "0", count: 9 - fracText.count) + fracText + "Z"
    }

    public var description: String { rfc3339 }

    /// Parses RFC 3339 (`2026-11-23T07:08:24Z`, optional fraction, `Z` or `±hh:mm` offset);
    /// nil for anything else, including times flowlog cannot represent (see `parse(rfc3339:)`).
    public init?(rfc3339 text: String) {
        guard let parsed = try? Timestamp.parse(rfc3339: text) else { return nil }
        self = parsed
    }

    /// The latest representable time, 2554-07-21T23:34:33.709551615Z (2^64 − 1 ns).
    public static let latest = Timestamp(nanoseconds: .max)

    /// Whether `text` is shaped like an RFC 3339 time (starts `YYYY-`), so a caller accepting
    /// several forms can give this parser's precise error rather than a generic one.
    public static func looksLikeRFC3339(_ text: String) -> Bool {
        let u = Array(text.utf8.prefix(5))
        return u.count == 5 && u[0..<4].allSatisfy { $0 >= 48 && $0 <= 57 } && u[4] == UInt8(ascii: "-")
    }

    /// Parses RFC 3339 like `init?(rfc3339:)`, but says what is wrong and where: a `.parse`
    /// error with the 1-based column. The fraction has at most 9 digits (nanoseconds), and the
    /// time must lie between the epoch and `Timestamp.latest`; every step is checked arithmetic.
    public static func parse(rfc3339 text: String) throws -> Timestamp {
        let u = Array(text.utf8)
        func fail(_ message: String, at index: Int) -> FlowlogError {
            // Columns count characters, so the column is right under non-ASCII text too.
            let column = 1 + u[..<min(index, u.count)].reduce(0) { $0 + ($1 & 0xC0 != 0x80 ? 1 : 0) }
            return FlowlogError(.parse, "'\(text)' is not an RFC 3339 time (2026-11-23T07:00:00Z): \(message)",
                                location: .init(column: column))
        }
        func num(_ from: Int, _ count: Int, _ what: String) throws -> Int64 {
            guard from + count <= u.count else { throw fail("the \(what) is missing", at: from) }
            var v: Int64 = 0
            for i in from..<(from + count) {
                guard u[i] >= 48 && u[i] <= 57 else { throw fail("the \(what) needs \(count) digits", at: i) }
                v = v * 10 + Int64(u[i] - 48)
            }
            return v
        }
        func expect(_ at: Int, _ allowed: String, _ what: String) throws {
            guard at < u.count, allowed.utf8.contains(u[at]) else { throw fail("expected \(what)", at: at) }
        }
        let y = try num(0, 4, "year")
        try expect(4, "-", "'-' after the year")
        let mo = try num(5, 2, "month")
        try expect(7, "-", "'-' after the month")
        let d = try num(8, 2, "day")
        try expect(10, "Tt ", "'T' between date and time")
        let h = try num(11, 2, "hour")
        try expect(13, ":", "':' after the hour")
        let mi = try num(14, 2, "minute")
        try expect(16, ":", "':' after the minutes")
        let s = try num(17, 2, "second")
        guard (1...12).contains(mo) else { throw fail("month \(mo) is not 01…12", at: 5) }
        guard d >= 1, d <= Timestamp.daysIn(month: mo, year: y) else { throw fail("day \(d) does not exist in that month", at: 8) }
        guard h < 24 else { throw fail("hour \(h) is not 00…23", at: 11) }
        guard mi < 60 else { throw fail("minute \(mi) is not 00…59", at: 14) }
        guard s < 61 else { throw fail("second \(s) is not 00…60", at: 17) }
        var i = 19
        var frac: UInt64 = 0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            let first = i
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                guard i - first < 9 else { throw fail("more than 9 fraction digits (nanoseconds are the finest unit)", at: i) }
                frac = frac * 10 + UInt64(u[i] - 48)
                i += 1
            }
            guard i > first else { throw fail("a fraction needs at least one digit after '.'", at: i) }
            for _ in (i - first)..<9 { frac *= 10 }
        }
        var offset: Int64 = 0
        guard i < u.count else { throw fail("the time zone ('Z' or ±hh:mm) is missing", at: i) }
        if u[i] == UInt8(ascii: "Z") || u[i] == UInt8(ascii: "z") {
            i += 1
        } else if u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            let oh = try num(i + 1, 2, "offset hours")
            try expect(i + 3, ":", "':' in the offset")
            let om = try num(i + 4, 2, "offset minutes")
            guard oh < 24, om < 60 else { throw fail("offset \(oh):\(om) is out of range", at: i) }
            offset = (oh * 3600 + om * 60) * (u[i] == UInt8(ascii: "+") ? 1 : -1)
            i += 6
        } else {
            throw fail("expected 'Z' or an offset like +02:00", at: i)
        }
        guard i == u.count else { throw fail("unexpected text after the time", at: i) }
        // Four-digit years keep every intermediate far inside Int64; only the final conversion
        // to nanoseconds can leave the representable range.
        let days = Timestamp.daysSinceEpoch(year: y, month: mo, day: d)
        let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset
        guard secs >= 0 else { throw fail("times before 1970-01-01T00:00:00Z cannot be stored", at: 0) }
        let (whole, overflow) = UInt64(secs).multipliedReportingOverflow(by: 1_000_000_000)
        let (total, carry) = whole.addingReportingOverflow(frac)
        guard !overflow, !carry else {
            throw fail("after \(Timestamp.latest.rfc3339), the latest time flowlog can represent", at: 0)
        }
        return Timestamp(nanoseconds: total)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's civil-date algorithms (public domain arithmetic).
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civilDate(daysSinceEpoch z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
