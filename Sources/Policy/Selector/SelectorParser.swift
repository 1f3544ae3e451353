import FlowCore

/// Recursive descent over the tokens: `||` binds loosest, then `&&`, then `!` (a run of `!`
/// collapses by parity and applies to one operation), then parentheses and match operators.
struct SelectorParser {
    /// Deeper nesting is rejected rather than risking the stack on hostile input.
    static let maximumDepth = 200

    private let tokens: [SelectorToken]
    private let text: String
    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    init(text: String) throws {
        self.text = text
        self.bytes = Array(text.utf8)
        var lexer = SelectorLexer(text)
        self.tokens = try lexer.tokenize()
    }

    mutating func parse() throws -> SelectorExpression {
        if case .end = tokens[0].kind { return .all }
        let e = try parseOr()
        guard case .end = current.kind else {
            throw error("expected '&&', '||' or the end of the selector")
        }
        return e
    }

    private var current: SelectorToken { tokens[index] }

    private func error(_ expected: String) -> FlowlogError {
        SelectorLexer.error(text: text, bytes: bytes, at: current.offset, "\(expected), found \(current.display)")
    }

    private mutating func parseOr() throws -> SelectorExpression {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else {
            throw error("parentheses nested more than \(Self.maximumDepth) deep")
        }
        var parts = [try parseAnd()]
        while case .or = current.kind {
            index += 1
            parts.append(try parseAnd())
        }
        return parts.count == 1 ? parts[0] : .or(parts)
    }

    private mutating func parseAnd() throws -> SelectorExpression {
        var parts = [try parseUnary()]
        while case .and = current.kind {
            index += 1
            parts.append(try parseUnary())
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    private mutating func parseUnary() throws -> SelectorExpression {
        var negations = 0
        while case .not = current.kind {
            negations += 1
            index += 1
        }
        let operand = try parsePrimary()
        return negations % 2 == 1 ? .not(operand) : operand
    }

    private mutating func parsePrimary() throws -> SelectorExpression {
        switch current.kind {
        case .leftParen:
            index += 1
            let inner = try parseOr()
            guard case .rightParen = current.kind else { throw error("expected ')'") }
            index += 1
            return inner
        case .all: index += 1; return .all
        case .global: index += 1; return .global
        case .has(let label): index += 1; return .has(label)
        case .label(let label):
            index += 1
            return try parseOperation(label: label)
        default:
            throw error("expected a label, '(', '!', has(), all() or global()")
        }
    }

    private mutating func parseOperation(label: String) throws -> SelectorExpression {
        let op = current.kind
        switch op {
        case .equal, .notEqual, .contains, .startsWith, .endsWith:
            let opDisplay = current.display
            index += 1
            guard case .string(let value) = current.kind else {
                throw error("expected a quoted string after \(opDisplay)")
            }
            index += 1
            switch op {
            case .equal: return .equal(label, value)
            case .notEqual: return .notEqual(label, value)
            case .contains: return .contains(label, value)
            case .startsWith: return .startsWith(label, value)
            default: return .endsWith(label, value)
            }
        case .in, .notIn:
            let opDisplay = current.display
            index += 1
            guard case .leftBrace = current.kind else { throw error("expected '{' after \(opDisplay)") }
            index += 1
            let members = try parseSetBody()
            let set = SelectorExpression.sortedSet(members)
            return op == .in ? .member(label, set) : .notMember(label, set)
        default:
            throw error("expected an operator after label '\(label)' (==, !=, in, not in, contains, starts with, ends with)")
        }
    }

    /// `}` | STRING ("," STRING)* [","] "}" — a trailing comma is accepted, `{,}` is not.
    private mutating func parseSetBody() throws -> [String] {
        var members: [String] = []
        if case .rightBrace = current.kind { index += 1; return members }
        while true {
            guard case .string(let value) = current.kind else {
                throw error(members.isEmpty ? "expected a quoted string or '}'" : "expected a quoted string or '}' after ','")
            }
            members.append(value)
            index += 1
            switch current.kind {
            case .comma:
                index += 1
                if case .rightBrace = current.kind { index += 1; return members }
            case .rightBrace:
                index += 1
                return members
            default:
                throw error("expected ',' or '}' in the set")
            }
        }
    }
}
