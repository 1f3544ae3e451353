/// Parsing and printing of the value forms a configuration file and flags share: durations
/// (`250ms`, `30s`, `5m`, `1h30m`, `7d`) and byte sizes (`4096`, `64KiB`, `16MiB`, `10GB`).
public enum ConfigurationValue {
    /// Parses a duration: one or more `<number><unit>` parts, units `ns us ms s m h d`.
    /// A bare `0` is accepted as zero. Returns nil for anything else.
    public static func duration(_ text: String) -> Duration? {
        let text = text.trimmingSpaces()
        if text == "0" { return .zero }
        var total = Duration.zero
        // Checked as a whole too: many parts each below the limit must not add up past it
        // (every consumer converts to 64-bit nanoseconds).
        var totalNanoseconds: Double = 0
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !digits.isEmpty, let value = Double(digits), value.isFinite else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(unit.count)
            let nanosecondsPerUnit: Double
            switch unit {
            case "ns": nanosecondsPerUnit = 1
            case "us", "µs": nanosecondsPerUnit = 1e3
            case "ms": nanosecondsPerUnit = 1e6
            case "s": nanosecondsPerUnit = 1e9
            case "m": nanosecondsPerUnit = 60e9
            case "h": nanosecondsPerUnit = 3_600e9
            case "d": nanosecondsPerUnit = 86_400e9
            default: return nil
            }
            let nanoseconds = value * nanosecondsPerUnit
            totalNanoseconds += nanoseconds
            guard nanoseconds < 1e18, totalNanoseconds < 1e18 else { return nil }
            total += .nanoseconds(Int64(nanoseconds.rounded()))
        }
        return total
    }

    /// Parses a byte size: an integer, optionally followed by `B`, `K`/`KB` (1000), `KiB`
    /// (1024), and likewise `M`, `G`, `T`. Returns nil for anything else or a negative size.
    public static func byteSize(_ text: String) -> Int? {
        let text = text.trimmingSpaces()
        let digits = text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !digits.isEmpty, let value = Double(digits), value >= 0 else { return nil }
        let unit = text.dropFirst(digits.count).trimmingSpaces()
        let multiplier: Double
        switch unit.lowercased() {
        case "", "b": multiplier = 1
        case "k", "kb": multiplier = 1e3
        case "kib": multiplier = 1_024
        case "m", "mb": multiplier = 1e6
        case "mib": multiplier = 1_048_576
        case "g", "gb": multiplier = 1e9
        case "gib": multiplier = 1_073_741_824
        case "t", "tb": multiplier = 1e12
        case "tib": multiplier = 1_099_511_627_776
        default: return nil
        }
        let bytes = (value * multiplier).rounded()
        guard bytes < 9e18 else { return nil }
        // A fractional count of bytes ("1.5B") is not a size.
        if unit.isEmpty || unit.lowercased() == "b" { guard value == value.rounded() else { return nil } }
        return Int(bytes)
    }

    /// The shortest exact text for a duration in the units `duration(_:)` reads.
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
}

extension Duration {
    /// The duration in seconds as a floating-point number, as the stages' configurations take it.
    public var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
