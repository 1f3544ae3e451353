/// The wording helpers pod-security-admission's messages are built with.
enum PodSecurityWording {
    static func plural(_ singular: String, _ plural: String, _ count: Int) -> String { count == 1 ? singular : plural }

    /// `"a", "b"`.
    static func joinQuote(_ items: [String]) -> String {
        items.isEmpty ? "" : "\"" + items.joined(separator: "\", \"") + "\""
    }

    /// `container "a"` or `containers "a", "b"`.
    static func containers(_ names: [String]) -> String {
        "\(plural("container", "containers", names.count)) \(joinQuote(names))"
    }

    /// A Go `%q` rendering of a string.
    static func goQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + (hex.count < 2 ? "0" : "") + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Sorted and without duplicates, as Go's string sets list themselves.
    static func sortedSet<S: Sequence>(_ items: S) -> [String] where S.Element == String {
        Array(Set(items)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
