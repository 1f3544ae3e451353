/// The one way configuration files and flags write a size in bytes, so `store.segment-size`,
/// `--segment-size` and a SIEM sink's `spool-size` accept the same text.
///
/// Forms: an integer, optionally followed by `B`, `K`/`KB` (1000), `KiB` (1024), and likewise
/// `M`, `G`, `T`; a fraction is allowed with a unit (`1.5GiB`), never for plain bytes.
public enum ByteSizeText {
    /// What an error message lists as examples.
    public static let examples = "4096, 64KiB, 16MiB, 10GB"

    /// Parses `text`; nil when it is not a size, is negative, or does not fit an `Int`.
    public static func parse(_ text: String) -> Int? {
        var rest = Substring(text)
        while rest.first == " " || rest.first == "\t" { rest = rest.dropFirst() }
        while rest.last == " " || rest.last == "\t" { rest = rest.dropLast() }
        let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !digits.isEmpty, digits.count <= 32, let value = Double(digits), value >= 0 else { return nil }
        var unit = rest.dropFirst(digits.count)
        while unit.first == " " || unit.first == "\t" { unit = unit.dropFirst() }
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
        // A fractional count of bytes ("1.5B") is not a size.
        if multiplier == 1 { guard value == value.rounded() else { return nil } }
        let bytes = (value * multiplier).rounded()
        // Below Int.max with room for Double's rounding.
        guard bytes < 9e18 else { return nil }
        return Int(bytes)
    }
}
