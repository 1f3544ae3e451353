/// A small JSON writer that keeps keys in the order written (Foundation's serializer does not),
/// indented by two spaces like the conformance files.
final class JSONText {
    private(set) var text = ""
    private var depth = 0
    private var needsComma = [false]

    func object(_ body: () -> Void) {
        text += "{"
        depth += 1
        needsComma.append(false)
        body()
        let hadFields = needsComma.removeLast()
        depth -= 1
        if hadFields { newline() }
        text += "}"
    }

    func field(_ key: String, _ value: () -> Void) {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
        newline()
        text += Self.quoted(key) + ": "
        value()
    }

    func string(_ s: String) { text += Self.quoted(s) }
    func null() { text += "null" }

    func strings(_ list: [String]) {
        guard !list.isEmpty else { text += "[]"; return }
        text += "["
        depth += 1
        for (i, s) in list.enumerated() {
            if i > 0 { text += "," }
            newline()
            text += Self.quoted(s)
        }
        depth -= 1
        newline()
        text += "]"
    }

    private func newline() { text += "\n" + String(repeating: "  ", count: depth) }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
