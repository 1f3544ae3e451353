import FlowCore

/// One lexical unit of a filter expression, with the 1-based column where it starts.
struct FilterToken: Equatable {
    enum Kind: Equatable {
        case word(String)
        /// A double- or single-quoted string, quotes removed (labels selectors need quoting).
        case quoted(String)
        case comparison(ComparisonOperator)
        case openParen, closeParen, comma
        case and, or, not
        case end
    }

    var kind: Kind
    var column: Int
    /// How many characters the token spans in the filter text (for the caret line).
    var width: Int
}
