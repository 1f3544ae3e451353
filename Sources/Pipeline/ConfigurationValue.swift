import FlowCore

/// Parsing and printing of the value forms a configuration file and flags share: durations
/// (`250ms`, `30s`, `5m`, `1h30m`, `7d`) and byte sizes (`4096`, `64KiB`, `16MiB`, `10GB`).
public enum ConfigurationValue {
    /// Parses a duration in the one form every command takes (`DurationText`).
    public static func duration(_ text: String) -> Duration? {
        DurationText.parse(text)
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
        DurationText.format(duration)
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
