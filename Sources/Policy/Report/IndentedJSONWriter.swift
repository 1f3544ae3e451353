import FlowCore

/// A small JSON writer that keeps keys in the order written (Foundation's serializer does not),
/// indented by two spaces like the conformance files.
final class IndentedJSONWriter {
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

    static func quoted(_ s: String) -> String { JSONText.string(s) }
}
