import FlowCore

/// JSON values as block YAML, for diffs, `-o yaml` and `audit state`.
///
/// Strings that a YAML reader could take for something else (numbers, booleans, null, text
/// with YAML punctuation) are written in double quotes with JSON escapes, which YAML reads
/// back as the same string; plain style is used only where it is unambiguous.
public enum YAMLText {
    public static func document(_ value: JSONValue) -> String {
        var out = ""
        switch value {
        case .object(let members) where !members.isEmpty: writeMembers(members, indent: 0, into: &out)
        case .array(let items) where !items.isEmpty: writeItems(items, indent: 0, into: &out)
        default: out += scalar(value) + "\n"
        }
        return out
    }

    private static func writeMembers(_ members: [JSONMember], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for member in members {
            out += pad + key(member.key) + ":"
            writeValue(member.value, indent: indent, into: &out)
        }
    }

    private static func writeItems(_ items: [JSONValue], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            switch item {
            case .object(let members) where !members.isEmpty:
                // "- " then the first member on the same line, the rest aligned under it.
                var nested = ""
                writeMembers(members, indent: indent + 2, into: &nested)
                out += pad + "- " + nested.dropFirst(indent + 2)
            case .array(let inner) where !inner.isEmpty:
                out += pad + "-\n"
                writeItems(inner, indent: indent + 2, into: &out)
            default:
                out += pad + "- " + scalar(item) + "\n"
            }
        }
    }

    private static func writeValue(_ value: JSONValue, indent: Int, into out: inout String) {
        switch value {
        case .object(let members) where !members.isEmpty:
            out += "\n"
            writeMembers(members, indent: indent + 2, into: &out)
        case .array(let items) where !items.isEmpty:
            out += "\n"
            writeItems(items, indent: indent, into: &out)
        default:
            out += " " + scalar(value) + "\n"
        }
    }

    static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let text): return text
        case .string(let text): return quotedIfNeeded(text)
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    static func key(_ text: String) -> String { quotedIfNeeded(text) }

    private static let reserved: Set<String> = [
        "", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", ".nan", ".inf", "-.inf", "+.inf", "<<", "=",
    ]

    static func quotedIfNeeded(_ text: String) -> String {
        plainIsSafe(text) ? text : JSONText.string(text)
    }

    /// Letters, digits and `-_./` only, not starting like a number or indicator, and not a
    /// word YAML 1.1 or 1.2 resolves to a non-string.
    private static func plainIsSafe(_ text: String) -> Bool {
        guard !reserved.contains(text.lowercased()), let first = text.utf8.first else { return false }
        let startsOK = (first >= 0x41 && first <= 0x5A) || (first >= 0x61 && first <= 0x7A) || first == UInt8(ascii: "_") || first == UInt8(ascii: "/")
        guard startsOK else { return false }
        return text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "/")
        }
    }
}
