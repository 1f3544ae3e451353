import FlowCore

/// Parses the filter language into a `FilterExpression`.
///
/// ```
/// expression := term ( ("or" | "||") term )*
/// term       := factor ( ("and" | "&&") factor )*
/// factor     := ("not" | "!") factor | "(" expression ")" | test
/// test       := field [operator] value | field "in" "(" value ("," value)* ")"
/// field      := [("src" | "dst" | "any") ("." | " ")] name
/// ```
/// `and` binds tighter than `or`. Errors carry the 1-based column of the offending token.
///
/// Hostile input cannot exhaust the stack: parentheses nest at most `maximumDepth` deep, a run
/// of `not` is read in a loop, and a chain of `and`s or `or`s (or an `in` list) becomes a
/// balanced tree, so every later walk over the expression recurses about log2(terms) deep.
public struct FilterParser {
    /// Deeper parenthesised nesting is rejected (the selector parser's limit too).
    public static let maximumDepth = 200

    private var tokens: [FilterToken]
    private var position = 0
    private var depth = 0

    public static func parse(_ text: String) throws -> FilterExpression {
        var parser = FilterParser(tokens: try FilterLexer.tokenize(text))
        if parser.peek.kind == .end { return .all }
        let expression = try parser.parseExpression()
        guard parser.peek.kind == .end else {
            throw parser.error("expected 'and', 'or' or the end of the filter", at: parser.peek)
        }
        return expression
    }

    private init(tokens: [FilterToken]) { self.tokens = tokens }

    private var peek: FilterToken { tokens[position] }

    private mutating func advance() -> FilterToken {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    func error(_ message: String, at token: FilterToken) -> FlowlogError {
        FilterLexer.error(message, column: token.column)
    }

    private mutating func parseExpression() throws -> FilterExpression {
        var terms = [try parseTerm()]
        while peek.kind == .or {
            _ = advance()
            terms.append(try parseTerm())
        }
        return Self.balanced(terms[...], FilterExpression.or)
    }

    private mutating func parseTerm() throws -> FilterExpression {
        var factors = [try parseFactor()]
        while peek.kind == .and {
            _ = advance()
            factors.append(try parseFactor())
        }
        return Self.balanced(factors[...], FilterExpression.and)
    }

    /// `a op b op c …` as a tree of depth ⌈log2(n)⌉ with the operands in their written order
    /// (evaluation still short-circuits left to right). Up to three operands it is the
    /// left-leaning tree a naive parser builds.
    static func balanced(_ parts: ArraySlice<FilterExpression>,
                         _ join: (FilterExpression, FilterExpression) -> FilterExpression) -> FilterExpression {
        if parts.count == 1 { return parts[parts.startIndex] }
        let middle = parts.startIndex + (parts.count + 1) / 2
        return join(balanced(parts[..<middle], join), balanced(parts[middle...], join))
    }

    private mutating func parseFactor() throws -> FilterExpression {
        // A run of `not` is counted, not recursed into; each still negates once.
        var negations = 0
        while peek.kind == .not {
            _ = advance()
            negations += 1
        }
        let factor = try parsePrimary()
        return negations % 2 == 1 ? .not(factor) : factor
    }

    private mutating func parsePrimary() throws -> FilterExpression {
        let token = peek
        switch token.kind {
        case .openParen:
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maximumDepth else {
                throw error("parentheses nested more than \(Self.maximumDepth) deep", at: token)
            }
            _ = advance()
            let inner = try parseExpression()
            guard peek.kind == .closeParen else { throw error("expected ')' to close the '(' at column \(token.column)", at: peek) }
            _ = advance()
            return inner
        case .word:
            return try parseTest()
        case .end:
            throw error("the filter ends where a test was expected", at: token)
        default:
            throw error("expected a field name, 'not' or '('", at: token)
        }
    }

    /// Reads `src.port`, `src port`, `port`.
    private mutating func parseField() throws -> (FilterField, FlowSide, FilterToken) {
        let first = advance()
        guard case .word(let raw) = first.kind else { throw error("expected a field name", at: first) }
        let text = raw.lowercased()
        var side: FlowSide?
        var fieldName = text
        if let dot = text.firstIndex(of: "."), let prefixSide = FilterField.sidePrefixes[String(text[..<dot])] {
            side = prefixSide
            fieldName = String(text[text.index(after: dot)...])
        } else if let prefixSide = FilterField.sidePrefixes[text], case .word(let next) = peek.kind,
                  FilterField.byName[next.lowercased()] != nil {
            side = prefixSide
            fieldName = next.lowercased()
            _ = advance()
        }
        guard let field = FilterField.byName[fieldName] else {
            let suggestion = Spelling.suggestion(for: text, among: FilterField.allNames)
            throw error("unknown field '\(raw)'\(suggestion) (fields: \(FilterField.summary))", at: first)
        }
        if let side, let sent = field.counter(sentBy: side) { return (sent, .either, first) }
        if case .domain = field {
            guard side == nil || side == .destination else {
                throw error("only the destination has domain names: write dst.domain", at: first)
            }
            return (field, .destination, first)
        }
        if side != nil, !field.isPerSide {
            throw error("'\(fieldName)' belongs to the flow, not to one side; drop the side prefix", at: first)
        }
        return (field, side ?? .either, first)
    }

    private mutating func parseTest() throws -> FilterExpression {
        let (field, side, fieldToken) = try parseField()
        // `would_change` alone means `would_change yes`.
        if case .wouldChange = field {
            switch peek.kind {
            case .end, .and, .or, .closeParen: return .predicate(.wouldChange(true))
            default: break
            }
        }
        // `field in (a, b, c)` is `field = a or field = b or field = c`.
        if case .word(let word) = peek.kind, word.lowercased() == "in" {
            _ = advance()
            guard peek.kind == .openParen else { throw error("expected '(' after 'in'", at: peek) }
            _ = advance()
            var alternatives: [FilterExpression] = []
            repeat {
                let valueToken = advance()
                alternatives.append(.predicate(try predicate(field, side, .equal, valueToken)))
                if peek.kind == .comma { _ = advance(); continue }
                guard peek.kind == .closeParen else { throw error("expected ',' or ')' in the list", at: peek) }
                _ = advance()
                break
            } while true
            return Self.balanced(alternatives[...], FilterExpression.or)
        }
        var op = ComparisonOperator.equal
        if case .comparison(let written) = peek.kind {
            let opToken = advance()
            if !field.isOrdered, written != .equal, written != .notEqual {
                throw error("'\(written)' needs a number field; '\(fieldToken.text)' takes '=' or '!='", at: opToken)
            }
            op = written
        }
        let valueToken = advance()
        if !field.isOrdered, op == .notEqual {
            return .not(.predicate(try predicate(field, side, .equal, valueToken)))
        }
        return .predicate(try predicate(field, side, op, valueToken))
    }
}

extension FilterToken {
    /// The token as the user wrote it (approximately), for messages.
    var text: String {
        switch kind {
        case .word(let w): return w
        case .quoted(let q): return "\"\(q)\""
        case .comparison(let op): return op.description
        case .openParen: return "("
        case .closeParen: return ")"
        case .comma: return ","
        case .and: return "and"
        case .or: return "or"
        case .not: return "not"
        case .end: return "end of filter"
        }
    }
}
