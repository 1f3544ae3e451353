/// One lexical unit of the selector language, with the byte offset where it starts.
struct SelectorToken: Equatable {
    enum Kind: Equatable {
        case leftParen, rightParen, leftBrace, rightBrace, comma
        case string(String)
        case label(String)
        case has(String)
        case all, global
        case not, equal, notEqual, and, or
        case `in`, notIn, contains, startsWith, endsWith
        case end
    }

    var kind: Kind
    var offset: Int

    /// How an error message names this token.
    var display: String {
        switch kind {
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .leftBrace: return "'{'"
        case .rightBrace: return "'}'"
        case .comma: return "','"
        case .string(let s): return "string \"\(s)\""
        case .label(let l): return "label '\(l)'"
        case .has(let l): return "has(\(l))"
        case .all: return "all()"
        case .global: return "global()"
        case .not: return "'!'"
        case .equal: return "'=='"
        case .notEqual: return "'!='"
        case .and: return "'&&'"
        case .or: return "'||'"
        case .in: return "'in'"
        case .notIn: return "'not in'"
        case .contains: return "'contains'"
        case .startsWith: return "'starts with'"
        case .endsWith: return "'ends with'"
        case .end: return "end of selector"
        }
    }
}
