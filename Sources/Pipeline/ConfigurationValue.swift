import FlowCore

/// Parsing and printing of the value forms a configuration file and flags share: durations
/// (`250ms`, `30s`, `5m`, `1h30m`, `7d`) and byte sizes (`4096`, `64KiB`, `16MiB`, `10GB`).
public enum ConfigurationValue {
    /// Parses a duration in the one form every command takes (`DurationText`).
    public static func duration(_ text: String) -> Duration? {
        DurationText.parse(text)
    }

    /// Parses a byte size in the one form every command takes (`ByteSizeText`).
    public static func byteSize(_ text: String) -> Int? {
        ByteSizeText.parse(text)
    }

    /// The shortest exact text for a duration in the units `duration(_:)` reads.
    public static func format(_ duration: Duration) -> String {
        DurationText.format(duration)
    }
}
