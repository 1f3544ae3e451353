import FlowCore

/// Splits a filter into tokens. Words run until white space or one of `( ) , = ! < > " '`, so
/// CIDRs (`10.0.0.0/8`), IPv6 addresses, policy names (`knp:shop/allow-web`) and prefixes
/// (`web-*`) are single words; selectors with spaces or operators go in quotes.
struct FilterLexer {
    private let bytes: [UInt8]
    private var index = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    static func tokenize(_ text: String) throws -> [FilterToken] {
        var lexer = FilterLexer(text)
        var tokens: [FilterToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    /// Columns count characters, not bytes, so the caret lines up under non-ASCII text too.
    private func column(of byteIndex: Int) -> Int {
        var column = 1
        for i in 0..<byteIndex where bytes[i] & 0xC0 != 0x80 { column += 1 }
        return column
    }

    private func token(_ kind: FilterToken.Kind, from start: Int) -> FilterToken {
        let startColumn = column(of: start)
        return FilterToken(kind: kind, column: startColumn, width: max(1, column(of: index) - startColumn))
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    private static func endsWord(_ b: UInt8) -> Bool {
        isSpace(b) || b == UInt8(ascii: "(") || b == UInt8(ascii: ")") || b == UInt8(ascii: ",")
            || b == UInt8(ascii: "=") || b == UInt8(ascii: "!") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">")
            || b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") || b == UInt8(ascii: "&") || b == UInt8(ascii: "|")
    }

    mutating func next() throws -> FilterToken {
        while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
        let start = index
        guard index < bytes.count else { return FilterToken(kind: .end, column: column(of: index), width: 1) }
        let b = bytes[index]
        let following: UInt8? = index + 1 < bytes.count ? bytes[index + 1] : nil
        index += 1
        switch b {
        case UInt8(ascii: "("): return token(.openParen, from: start)
        case UInt8(ascii: ")"): return token(.closeParen, from: start)
        case UInt8(ascii: ","): return token(.comma, from: start)
        case UInt8(ascii: "="):
            if following == UInt8(ascii: "=") { index += 1 }
            return token(.comparison(.equal), from: start)
        case UInt8(ascii: "!"):
            if following == UInt8(ascii: "=") { index += 1; return token(.comparison(.notEqual), from: start) }
            return token(.not, from: start)
        case UInt8(ascii: "<"):
            if following == UInt8(ascii: "=") { index += 1; return token(.comparison(.lessOrEqual), from: start) }
            return token(.comparison(.less), from: start)
        case UInt8(ascii: ">"):
            if following == UInt8(ascii: "=") { index += 1; return token(.comparison(.greaterOrEqual), from: start) }
            return token(.comparison(.greater), from: start)
        case UInt8(ascii: "&"), UInt8(ascii: "|"):
            guard following == b else {
                throw FilterLexer.error("'\(Character(Unicode.Scalar(b)))' on its own; write 'and'/'&&' or 'or'/'||'",
                                        column: column(of: start))
            }
            index += 1
            return token(b == UInt8(ascii: "&") ? .and : .or, from: start)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            while index < bytes.count, bytes[index] != b { index += 1 }
            guard index < bytes.count else {
                throw FilterLexer.error("unterminated quoted string", column: column(of: start))
            }
            let text = String(decoding: bytes[(start + 1)..<index], as: UTF8.self)
            index += 1
            return token(.quoted(text), from: start)
        default:
            while index < bytes.count, !Self.endsWord(bytes[index]) { index += 1 }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            switch text.lowercased() {
            case "and": return token(.and, from: start)
            case "or": return token(.or, from: start)
            case "not": return token(.not, from: start)
            default: return token(.word(text), from: start)
            }
        }
    }

    static func error(_ message: String, column: Int) -> FlowlogError {
        FlowlogError(.parse, message, location: FlowlogError.Location(column: column, field: "filter"))
    }
}
