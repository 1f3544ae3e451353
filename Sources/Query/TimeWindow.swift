import FlowCore

/// The `--since`/`--until` window. A flow is in it when it overlaps it: it starts before
/// `until` and ends at or after `since`, so a long flow that began before `since` and is still
/// running is included (the question is "what was on the wire then?", not "what began then?").
public struct TimeWindow: Hashable, Sendable {
    public var since: Timestamp?
    public var until: Timestamp?

    public init(since: Timestamp? = nil, until: Timestamp? = nil) {
        self.since = since
        self.until = until
    }

    /// Parses both bounds relative to `now`; checks that `since` is before `until`.
    public init(since sinceText: String?, until untilText: String?, now: Timestamp) throws {
        since = try sinceText.map { try Self.parseBound($0, now: now, option: "--since") }
        until = try untilText.map { try Self.parseBound($0, now: now, option: "--until") }
        if let since, let until, since >= until {
            throw FlowlogError(.invalidArgument, "--since (\(since)) must be before --until (\(until))",
                               location: FlowlogError.Location(field: "--since"))
        }
    }

    public func contains(_ flow: FlowRecord) -> Bool {
        if let until, flow.start >= until { return false }
        if let since, flow.end < since { return false }
        return true
    }

    public var isUnbounded: Bool { since == nil && until == nil }

    /// RFC 3339 (`2026-11-23T07:00:00Z`), `now`, or a duration back from now: `90s`, `15m`,
    /// `2h`, `7d`, `1w`, also combined (`1h30m`).
    public static func parseBound(_ text: String, now: Timestamp, option: String) throws -> Timestamp {
        if Timestamp.looksLikeRFC3339(text) {
            do {
                return try Timestamp.parse(rfc3339: text)
            } catch var error as FlowlogError {
                error.code = .invalidArgument
                error.location?.field = option
                throw error
            }
        }
        if text == "now" { return now }
        guard let back = duration(text) else {
            throw FlowlogError(.invalidArgument,
                               "'\(text)' is neither an RFC 3339 time (2026-11-23T07:00:00Z) nor a duration back from now (15m, 2h, 7d)",
                               location: FlowlogError.Location(field: option))
        }
        return Timestamp(nanoseconds: now.nanoseconds > back ? now.nanoseconds - back : 0)
    }

    /// Nanoseconds in `90s`, `15m`, `1h30m`, `7d`, `2w`, `500ms`; nil when malformed.
    static func duration(_ text: String) -> UInt64? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        var total: UInt64 = 0
        var i = 0
        while i < bytes.count {
            var n: UInt64 = 0
            let digitsStart = i
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                let (m, o1) = n.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(UInt64(bytes[i] - 48))
                guard !o1, !o2 else { return nil }
                n = s
                i += 1
            }
            guard i > digitsStart, i < bytes.count else { return nil }
            let unit: UInt64
            switch bytes[i] {
            case UInt8(ascii: "m") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "s"):
                unit = 1_000_000
                i += 1
            case UInt8(ascii: "s"): unit = 1_000_000_000
            case UInt8(ascii: "m"): unit = 60_000_000_000
            case UInt8(ascii: "h"): unit = 3_600_000_000_000
            case UInt8(ascii: "d"): unit = 86_400_000_000_000
            case UInt8(ascii: "w"): unit = 604_800_000_000_000
            default: return nil
            }
            i += 1
            let (part, overflow) = n.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            let (sum, o) = total.addingReportingOverflow(part)
            guard !o else { return nil }
            total = sum
        }
        return total
    }
}
