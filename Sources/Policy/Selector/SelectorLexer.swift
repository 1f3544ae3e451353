import FlowCore

/// Splits selector text into tokens with Calico's lexical rules (calico-semantics §2.2):
/// only space and tab are whitespace, literals have no escapes, operator words are recognised
/// only right after a label and must end at a word boundary, labels are at most 512 bytes.
struct SelectorLexer {
    static let maximumLabelLength = 512

    private let bytes: [UInt8]
    private let text: String
    private var position = 0

    init(_ text: String) {
        self.text = text
        self.bytes = Array(text.utf8)
    }

    static func isLabelByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    private static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    mutating func tokenize() throws -> [SelectorToken] {
        var tokens: [SelectorToken] = []
        while true {
            skipBlanks()
            guard position < bytes.count else {
                tokens.append(SelectorToken(kind: .end, offset: position))
                return tokens
            }
            let start = position
            let b = bytes[position]
            switch b {
            case UInt8(ascii: "("): position += 1; tokens.append(.init(kind: .leftParen, offset: start))
            case UInt8(ascii: ")"): position += 1; tokens.append(.init(kind: .rightParen, offset: start))
            case UInt8(ascii: "{"): position += 1; tokens.append(.init(kind: .leftBrace, offset: start))
            case UInt8(ascii: "}"): position += 1; tokens.append(.init(kind: .rightBrace, offset: start))
            case UInt8(ascii: ","): position += 1; tokens.append(.init(kind: .comma, offset: start))
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                tokens.append(.init(kind: .string(try readLiteral(quote: b)), offset: start))
            case UInt8(ascii: "!"):
                if next(is: "=") { position += 2; tokens.append(.init(kind: .notEqual, offset: start)) }
                else { position += 1; tokens.append(.init(kind: .not, offset: start)) }
            case UInt8(ascii: "="):
                guard next(is: "=") else { throw error(at: start, "expected '==' (a single '=' is not an operator)") }
                position += 2; tokens.append(.init(kind: .equal, offset: start))
            case UInt8(ascii: "&"):
                guard next(is: "&") else { throw error(at: start, "expected '&&' (a single '&' is not an operator)") }
                position += 2; tokens.append(.init(kind: .and, offset: start))
            case UInt8(ascii: "|"):
                guard next(is: "|") else { throw error(at: start, "expected '||' (a single '|' is not an operator)") }
                position += 2; tokens.append(.init(kind: .or, offset: start))
            default:
                if hasPrefix("has(") {
                    position += 4
                    skipBlanks()
                    guard position < bytes.count, Self.isLabelByte(bytes[position]) else {
                        throw error(at: position, "expected a label inside has(")
                    }
                    let label = try readLabel()
                    skipBlanks()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: ")") else {
                        throw error(at: position, "expected ')' to close has(\(label)")
                    }
                    position += 1
                    tokens.append(.init(kind: .has(label), offset: start))
                } else if hasPrefix("all(") || hasPrefix("global(") {
                    let isAll = hasPrefix("all(")
                    position += isAll ? 4 : 7
                    skipBlanks()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: ")") else {
                        throw error(at: position, "expected ')' after \(isAll ? "all(" : "global(") (it takes no argument)")
                    }
                    position += 1
                    tokens.append(.init(kind: isAll ? .all : .global, offset: start))
                } else if Self.isLabelByte(b) {
                    let label = try readLabel()
                    tokens.append(.init(kind: .label(label), offset: start))
                    if let op = readOperatorWord() { tokens.append(op) }
                } else {
                    let scalar = String(decoding: bytes[start..<min(bytes.count, start + scalarLength(b))], as: UTF8.self)
                    throw error(at: start, "unexpected character '\(printable(scalar))'; expected a label, '(', '!', has(), all() or global()")
                }
            }
        }
    }

    // MARK: - Pieces

    private mutating func skipBlanks() {
        while position < bytes.count, Self.isBlank(bytes[position]) { position += 1 }
    }

    private func next(is character: Unicode.Scalar) -> Bool {
        position + 1 < bytes.count && bytes[position + 1] == UInt8(ascii: character)
    }

    private func hasPrefix(_ word: StaticString, at offset: Int? = nil) -> Bool {
        let from = offset ?? position
        let count = word.utf8CodeUnitCount
        guard from + count <= bytes.count else { return false }
        let w = word.utf8Start
        for i in 0..<count where bytes[from + i] != w[i] { return false }
        return true
    }

    private mutating func readLiteral(quote: UInt8) throws -> String {
        let open = position
        var i = position + 1
        while i < bytes.count, bytes[i] != quote { i += 1 }
        guard i < bytes.count else {
            throw error(at: open, "unterminated string literal; expected a closing \(quote == UInt8(ascii: "\"") ? "\"" : "'")")
        }
        position = i + 1
        return String(decoding: bytes[(open + 1)..<i], as: UTF8.self)
    }

    private mutating func readLabel() throws -> String {
        let start = position
        while position < bytes.count, Self.isLabelByte(bytes[position]) { position += 1 }
        if position - start > Self.maximumLabelLength {
            throw error(at: start, "label is \(position - start) bytes long; at most \(Self.maximumLabelLength) are allowed")
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// After a label: `in`, `not in`, `contains`, `starts with`, `ends with`, the two-word forms
    /// with any run of blanks (or none) between the words, each ending at a word boundary.
    private mutating func readOperatorWord() -> SelectorToken? {
        var i = position
        while i < bytes.count, Self.isBlank(bytes[i]) { i += 1 }
        let start = i
        func boundary(_ at: Int) -> Bool { at >= bytes.count || !Self.isLabelByte(bytes[at]) }
        func blanks(from at: Int) -> Int {
            var j = at
            while j < bytes.count, Self.isBlank(bytes[j]) { j += 1 }
            return j
        }
        let candidates: [(StaticString, StaticString?, SelectorToken.Kind)] = [
            ("in", nil, .in), ("not", "in", .notIn), ("contains", nil, .contains),
            ("starts", "with", .startsWith), ("ends", "with", .endsWith),
        ]
        for (first, second, kind) in candidates where hasPrefix(first, at: start) {
            var end = start + first.utf8CodeUnitCount
            if let second {
                let j = blanks(from: end)
                guard hasPrefix(second, at: j) else { continue }
                end = j + second.utf8CodeUnitCount
            }
            guard boundary(end) else { continue }
            position = end
            return SelectorToken(kind: kind, offset: start)
        }
        return nil
    }

    private func scalarLength(_ lead: UInt8) -> Int {
        if lead < 0x80 { return 1 }
        if lead >= 0xF0 { return 4 }
        if lead >= 0xE0 { return 3 }
        return 2
    }

    private func printable(_ s: String) -> String {
        s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
    }

    func error(at offset: Int, _ message: String) -> FlowlogError {
        Self.error(text: text, bytes: bytes, at: offset, message)
    }

    /// Columns are 1-based and count characters, so they line up with what the user typed.
    static func error(text: String, bytes: [UInt8], at offset: Int, _ message: String) -> FlowlogError {
        let clamped = min(max(offset, 0), bytes.count)
        let column = String(decoding: bytes[0..<clamped], as: UTF8.self).count + 1
        return FlowlogError(.parse, "selector: \(message)", location: FlowlogError.Location(column: column))
    }
}
