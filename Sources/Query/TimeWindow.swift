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
    /// `2h`, `7d`, `1w`, also combined (`1h30m`), or plain seconds.
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
                               "'\(text)' is neither an RFC 3339 time (2026-11-23T07:00:00Z) nor a duration back from now (\(DurationText.examples))",
                               location: FlowlogError.Location(field: option))
        }
        return Timestamp(nanoseconds: now.nanoseconds > back ? now.nanoseconds - back : 0)
    }

    /// Nanoseconds in a duration (`DurationText`: `90s`, `15m`, `1h30m`, `7d`, `2w`, plain
    /// seconds); nil when malformed.
    static func duration(_ text: String) -> UInt64? {
        guard let d = DurationText.parse(text) else { return nil }
        let (seconds, attoseconds) = d.components
        let (n, o1) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, o2) = n.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        return o1 || o2 ? nil : sum
    }
}
