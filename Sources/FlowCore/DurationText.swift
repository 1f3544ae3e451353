/// The one way every command and the configuration file write a duration, so `--idle-timeout`,
/// `--segment-age`, `retention.max-age` and `--since` accept the same text.
///
/// Forms: plain seconds (`90`, `0.5`), or one or more `<number><unit>` parts (`30s`, `5m`,
/// `1h30m`, `7d`, `2w`, `250ms`), units `ns`, `us` (`µs`), `ms`, `s`, `m`, `h`, `d`, `w`.
/// Numbers may have a fraction (`1.5h`). Negative values and anything past about 292 years
/// are refused.
public enum DurationText {
    /// What an error message lists as examples.
    public static let examples = "30s, 5m, 1h, 7d or plain seconds"

    /// Parses `text`; nil when it is not a duration.
    public static func parse(_ text: String) -> Duration? {
        var rest = Substring(text)
        while rest.first == " " || rest.first == "\t" { rest = rest.dropFirst() }
        while rest.last == " " || rest.last == "\t" { rest = rest.dropLast() }
        guard !rest.isEmpty else { return nil }
        // Plain seconds.
        if rest.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
            return part(rest, nanosecondsPerUnit: 1e9)
        }
        var total = Duration.zero
        var nanoseconds: Double = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !digits.isEmpty else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            guard let scale = Self.nanosecondsPerUnit[String(unit)], let value = part(digits, nanosecondsPerUnit: scale) else {
                return nil
            }
            nanoseconds += value.secondsValue * 1e9
            guard nanoseconds < Self.limit else { return nil }
            total += value
        }
        return total
    }

    /// The shortest exact text for `duration` in the units `parse` reads (`90s`, `5m`, `7d`, `250ms`).
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 {
            if seconds == 0 { return "0s" }
            if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
            if seconds % 3_600 == 0 { return "\(seconds / 3_600)h" }
            if seconds % 60 == 0 { return "\(seconds / 60)m" }
            return "\(seconds)s"
        }
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
        if nanoseconds % 1_000 == 0 { return "\(nanoseconds / 1_000)us" }
        return "\(nanoseconds)ns"
    }

    /// `format` for a number of seconds (the flow cache's settings are seconds).
    public static func format(seconds: Double) -> String {
        format(.nanoseconds(Int64((seconds * 1e9).rounded())))
    }

    private static let limit: Double = 9.2e18
    private static let nanosecondsPerUnit: [String: Double] = [
        "ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3_600e9, "d": 86_400e9, "w": 604_800e9,
    ]

    private static func part(_ digits: Substring, nanosecondsPerUnit scale: Double) -> Duration? {
        // One decimal point at most, and a digit somewhere.
        guard digits.filter({ $0 == "." }).count <= 1, digits.contains(where: { $0 != "." }),
              let value = Double(digits), value.isFinite, value >= 0 else { return nil }
        let nanoseconds = value * scale
        guard nanoseconds < limit else { return nil }
        return .nanoseconds(Int64(nanoseconds.rounded()))
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number, as the stages' configurations take it.
    public var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
