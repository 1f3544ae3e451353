import FlowCore

/// Writes indented JSON in the order fields are added, so report.json's field order is stable
/// and diffs between two reports read well.
struct JSONBuilder {
    private(set) var text = ""
    private var depth = 0
    private var needsComma = [false]

    private mutating func prefix(_ key: String?) {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
        if depth > 0 { text += "\n" + String(repeating: "  ", count: depth) }
        if let key { text += JSONText.string(key) + ": " }
    }

    mutating func open(_ key: String? = nil, array: Bool = false) {
        prefix(key)
        text += array ? "[" : "{"
        depth += 1
        needsComma.append(false)
    }

    mutating func close(array: Bool = false) {
        let hadItems = needsComma.removeLast()
        depth -= 1
        if hadItems { text += "\n" + String(repeating: "  ", count: depth) }
        text += array ? "]" : "}"
    }

    mutating func string(_ key: String?, _ value: String) { prefix(key); text += JSONText.string(value) }
    mutating func optionalString(_ key: String?, _ value: String?) {
        prefix(key)
        text += value.map(JSONText.string) ?? "null"
    }
    mutating func number<N: BinaryInteger>(_ key: String?, _ value: N) { prefix(key); text += String(value) }
    /// A value that is already JSON text.
    mutating func raw(_ key: String?, _ json: String) { prefix(key); text += json }
    mutating func bool(_ key: String?, _ value: Bool) { prefix(key); text += value ? "true" : "false" }
    mutating func strings(_ key: String?, _ values: [String]) {
        open(key, array: true)
        for v in values { string(nil, v) }
        close(array: true)
    }
}
