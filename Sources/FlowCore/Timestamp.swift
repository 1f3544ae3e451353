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

    /// Parses RFC 3339 (`2026-11-23T07:08:24Z`, optional fraction, `Z` or `±hh:mm` offset).
    public init?(rfc3339 text: String) {
        let u = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= u.count else { return nil }
            var v: Int64 = 0
            for i in from..<(from + count) {
                guard u[i] >= 48 && u[i] <= 57 else { return nil }
                v = v * 10 + Int64(u[i] - 48)
            }
            return v
        }
        guard u.count >= 20, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
              u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: "t") || u[10] == UInt8(ascii: " "),
              u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"),
              let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2),
              let h = num(11, 2), let mi = num(14, 2), let s = num(17, 2),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        var i = 19
        var frac: Int64 = 0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                if digits < 9 { frac = frac * 10 + Int64(u[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 where digits < 9 { frac *= 10 }
        }
        var offset: Int64 = 0
        guard i < u.count else { return nil }
        if u[i] == UInt8(ascii: "Z") || u[i] == UInt8(ascii: "z") {
            i += 1
        } else if u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            guard let oh = num(i + 1, 2), u.count > i + 3, u[i + 3] == UInt8(ascii: ":"),
                  let om = num(i + 4, 2) else { return nil }
            offset = (oh * 3600 + om * 60) * (u[i] == UInt8(ascii: "+") ? 1 : -1)
            i += 6
        } else { return nil }
        guard i == u.count else { return nil }
        let days = Timestamp.daysSinceEpoch(year: y, month: mo, day: d)
        let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset
        guard secs >= 0 else { return nil }
        self.nanoseconds = UInt64(secs) * 1_000_000_000 + UInt64(frac)
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
