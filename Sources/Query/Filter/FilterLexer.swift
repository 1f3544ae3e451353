import FlowCore

/// Splits a filter into tokens. Words run until white space or one of `( ) , = ! < > " '`, so
/// CIDRs (`10.0.0.0/8`), IPv6 addresses, policy names (`knp:shop/allow-web`) and prefixes
/// (`web-*`) are single words; selectors with spaces or operators go in quotes.
///
/// One pass over the bytes: the column (in characters) is carried along rather than counted
/// from the start for every token, so a long filter lexes in linear time.
struct FilterLexer {
    /// Longer filters are rejected before lexing (1 MiB: a generated list of 14,000
    /// alternatives is about 112 KB).
    static let maximumLength = 1 << 20

    private let bytes: [UInt8]
    private var index = 0
    /// The 1-based column of `bytes[index]`.
    private var column = 1

    init(_ text: String) { bytes = Array(text.utf8) }

    static func tokenize(_ text: String) throws -> [FilterToken] {
        guard text.utf8.count <= maximumLength else {
            throw error("the filter is \(text.utf8.count) bytes long; at most \(maximumLength) are allowed", column: 1)
        }
        var lexer = FilterLexer(text)
        var tokens: [FilterToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    /// Moves past one byte, counting a column for every byte that starts a character, so the
    /// caret lines up under non-ASCII text too.
    @inline(__always)
    private mutating func step() {
        if bytes[index] & 0xC0 != 0x80 { column += 1 }
        index += 1
    }

    private func token(_ kind: FilterToken.Kind, from startColumn: Int) -> FilterToken {
        FilterToken(kind: kind, column: startColumn, width: max(1, column - startColumn))
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    private static func endsWord(_ b: UInt8) -> Bool {
        isSpace(b) || b == UInt8(ascii: "(") || b == UInt8(ascii: ")") || b == UInt8(ascii: ",")
            || b == UInt8(ascii: "=") || b == UInt8(ascii: "!") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">")
            || b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") || b == UInt8(ascii: "&") || b == UInt8(ascii: "|")
    }

    mutating func next() throws -> FilterToken {
        while index < bytes.count, Self.isSpace(bytes[index]) { step() }
        let start = index
        let startColumn = column
        guard index < bytes.count else { return FilterToken(kind: .end, column: column, width: 1) }
        let b = bytes[index]
        let following: UInt8? = index + 1 < bytes.count ? bytes[index + 1] : nil
        step()
        switch b {
        case UInt8(ascii: "("): return token(.openParen, from: startColumn)
        case UInt8(ascii: ")"): return token(.closeParen, from: startColumn)
        case UInt8(ascii: ","): return token(.comma, from: startColumn)
        case UInt8(ascii: "="):
            if following == UInt8(ascii: "=") { step() }
            return token(.comparison(.equal), from: startColumn)
        case UInt8(ascii: "!"):
            if following == UInt8(ascii: "=") { step(); return token(.comparison(.notEqual), from: startColumn) }
            return token(.not, from: startColumn)
        case UInt8(ascii: "<"):
            if following == UInt8(ascii: "=") { step(); return token(.comparison(.lessOrEqual), from: startColumn) }
            return token(.comparison(.less), from: startColumn)
        case UInt8(ascii: ">"):
            if following == UInt8(ascii: "=") { step(); return token(.comparison(.greaterOrEqual), from: startColumn) }
            return token(.comparison(.greater), from: startColumn)
        case UInt8(ascii: "&"), UInt8(ascii: "|"):
            guard following == b else {
                throw FilterLexer.error("'\(Character(Unicode.Scalar(b)))' on its own; write 'and'/'&&' or 'or'/'||'",
                                        column: startColumn)
            }
            step()
            return token(b == UInt8(ascii: "&") ? .and : .or, from: startColumn)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            while index < bytes.count, bytes[index] != b { step() }
            guard index < bytes.count else {
                throw FilterLexer.error("unterminated quoted string", column: startColumn)
            }
            let text = String(decoding: bytes[(start + 1)..<index], as: UTF8.self)
            step()
            return token(.quoted(text), from: startColumn)
        default:
            while index < bytes.count, !Self.endsWord(bytes[index]) { step() }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            switch text.lowercased() {
            case "and": return token(.and, from: startColumn)
            case "or": return token(.or, from: startColumn)
            case "not": return token(.not, from: startColumn)
            default: return token(.word(text), from: startColumn)
            }
        }
    }

    static func error(_ message: String, column: Int) -> FlowlogError {
        FlowlogError(.parse, message, location: FlowlogError.Location(column: column, field: "filter"))
    }
}
