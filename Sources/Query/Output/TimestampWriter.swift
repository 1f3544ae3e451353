import FlowCore

/// Writes RFC 3339 UTC timestamps with nanoseconds (`2026-11-23T07:08:24.123456789Z`) straight
/// into an `OutputBuffer`, caching the date part: flows in a scan are close in time, so the
/// civil-date arithmetic runs once per day seen rather than once per field.
struct TimestampWriter {
    private var cachedDay: UInt64 = .max
    private var cachedDate: (UInt64, UInt64, UInt64) = (0, 0, 0)

    /// `secondsOnly` drops the fraction (`2026-11-23T07:08:24Z`), for tables.
    mutating func write(_ t: Timestamp, secondsOnly: Bool = false, into out: inout OutputBuffer) {
        let seconds = t.nanoseconds / 1_000_000_000
        let day = seconds / 86_400
        if day != cachedDay {
            let text = Timestamp(nanoseconds: day * 86_400 * 1_000_000_000).rfc3339
            let u = Array(text.utf8)
            func number(_ from: Int, _ count: Int) -> UInt64 {
                var v: UInt64 = 0
                for i in from..<(from + count) { v = v * 10 + UInt64(u[i] - 48) }
                return v
            }
            cachedDate = (number(0, 4), number(5, 2), number(8, 2))
            cachedDay = day
        }
        let secondOfDay = seconds % 86_400
        out.append(padded: cachedDate.0, width: 4); out.append(UInt8(ascii: "-"))
        out.append(padded: cachedDate.1, width: 2); out.append(UInt8(ascii: "-"))
        out.append(padded: cachedDate.2, width: 2); out.append(UInt8(ascii: "T"))
        out.append(padded: secondOfDay / 3600, width: 2); out.append(UInt8(ascii: ":"))
        out.append(padded: secondOfDay / 60 % 60, width: 2); out.append(UInt8(ascii: ":"))
        out.append(padded: secondOfDay % 60, width: 2)
        if !secondsOnly {
            out.append(UInt8(ascii: "."))
            out.append(padded: t.nanoseconds % 1_000_000_000, width: 9)
        }
        out.append(UInt8(ascii: "Z"))
    }
}
