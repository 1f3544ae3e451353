/// Just enough YAML to write Kubernetes and Calico manifests the way `kubectl get -o yaml`
/// lays them out: block mappings, block sequences of mappings ("- key: value"), and scalars
/// quoted only when a plain scalar would be read back as something else.
indirect enum YAMLNode {
    case string(String)
    case int(Int)
    case number(Double)
    case bool(Bool)
    case map([(String, YAMLNode)])
    case list([YAMLNode])

    /// A mapping from string pairs (labels, selectors), in the given order.
    static func labels(_ pairs: [(String, String)]) -> YAMLNode {
        .map(pairs.map { ($0.0, .string($0.1)) })
    }

    static func strings(_ values: [String]) -> YAMLNode { .list(values.map { .string($0) }) }

    /// The node as one YAML document body (no `---`), ending in a newline.
    func rendered() -> String {
        var out = ""
        render(into: &out, indent: 0)
        return out
    }

    private func render(into out: inout String, indent: Int) {
        switch self {
        case .map(let pairs):
            for (key, value) in pairs { Self.renderEntry(key: key, value: value, into: &out, indent: indent) }
        case .list(let items):
            for item in items { Self.renderItem(item, into: &out, indent: indent) }
        default:
            out += String(repeating: " ", count: indent) + scalarText + "\n"
        }
    }

    private static func renderEntry(key: String, value: YAMLNode, into out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        switch value {
        case .map(let pairs) where pairs.isEmpty:
            out += pad + quoted(key) + ": {}\n"
        case .list(let items) where items.isEmpty:
            out += pad + quoted(key) + ": []\n"
        case .map:
            out += pad + quoted(key) + ":\n"
            value.render(into: &out, indent: indent + 2)
        case .list:
            // kubectl style: sequence items at the key's own indentation.
            out += pad + quoted(key) + ":\n"
            value.render(into: &out, indent: indent)
        default:
            out += pad + quoted(key) + ": " + value.scalarText + "\n"
        }
    }

    private static func renderItem(_ item: YAMLNode, into out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        switch item {
        case .map(let pairs) where !pairs.isEmpty:
            // The first entry shares the dash's line; the rest align under it.
            var first = ""
            renderEntry(key: pairs[0].0, value: pairs[0].1, into: &first, indent: indent + 2)
            out += pad + "- " + first.dropFirst(indent + 2)
            for (key, value) in pairs.dropFirst() { renderEntry(key: key, value: value, into: &out, indent: indent + 2) }
        case .map:
            out += pad + "- {}\n"
        case .list:
            out += pad + "-\n"
            item.render(into: &out, indent: indent + 2)
        default:
            out += pad + "- " + item.scalarText + "\n"
        }
    }

    private var scalarText: String {
        switch self {
        case .string(let text): return Self.quoted(text)
        case .int(let value): return String(value)
        case .number(let value):
            return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .bool(let value): return value ? "true" : "false"
        case .map, .list: return ""
        }
    }

    /// The text as a plain scalar when that reads back as the same string, otherwise quoted:
    /// single quotes as kubectl writes them, double quotes when the text has a single quote.
    static func quoted(_ text: String) -> String {
        if isPlainSafe(text) { return text }
        if !text.contains("'") { return "'" + text + "'" }
        var escaped = "\""
        for ch in text.unicodeScalars {
            switch ch {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            default: escaped.unicodeScalars.append(ch)
            }
        }
        return escaped + "\""
    }

    private static let reservedWords: Set<String> = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    ]

    private static func isPlainSafe(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
        if reservedWords.contains(text.lowercased()) || Double(text) != nil { return false }
        guard last != " " else { return false }
        // IPv4 addresses and prefixes read back as strings; anything else that starts like a
        // number (1e3, 0x1F, 1_000, dates, 10:30 sexagesimal in YAML 1.1) stays quoted.
        if first.properties.numericType != nil {
            return text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 47 }
                && text.utf8.filter { $0 == 46 }.count >= 2
        }
        guard first.properties.isAlphabetic || first == "/" || first == "_" else { return false }
        // Mid-scalar indicators are legal in block context, but a few are quoted anyway so that no
        // reader (libyaml, PyYAML, Yams) can disagree about where the value ends: ':' and '#'
        // (": " and " #" end a plain scalar) and the flow indicators.
        for ch in text.unicodeScalars where ":#{}[],\"\\\n\t".unicodeScalars.contains(ch) {
            return false
        }
        return true
    }
}
