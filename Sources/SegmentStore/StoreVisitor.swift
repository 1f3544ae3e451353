import FlowCore

/// What a `StoreReader.scan` calls back: first per block with its digest, then per flow.
///
/// Use it through generics (`scan(…, visitor: &myVisitor)`), never as an existential.
public protocol StoreVisitor {
    /// Whether to read a block; false skips it unread. Blocks of the open segment carry a
    /// digest without a Bloom filter (every `mayContain(token:)` answers true).
    mutating func shouldRead(block digest: BlockDigest) -> Bool
    /// A block it chose to read, decoded, before any of its rows is built: a visitor that can
    /// decide rows from their columns (a compiled filter) prepares here, per conversation.
    mutating func screen(_ block: BlockRows)
    /// Whether row `row` of the block last screened goes on to `visit` (as a whole record).
    /// Rows it declines are never built.
    mutating func admits(_ block: BlockRows, row: Int) -> Bool
    /// One flow; false stops the scan.
    mutating func visit(_ flow: AnnotatedFlow) -> Bool
    /// True when `screen` never asks a block for its prepared records (`BlockRows.prepared`,
    /// `preparedCount`, …): the store then numbers them only for conversations with an
    /// admitted row.
    var screensWithoutPreparedRecords: Bool { get }
}

extension StoreVisitor {
    @inlinable public var screensWithoutPreparedRecords: Bool { false }
    /// Takes every row, undecided: `visit` sees them all.
    @inlinable public mutating func screen(_ block: BlockRows) {}
    @inlinable public mutating func admits(_ block: BlockRows, row: Int) -> Bool { true }
}

/// What a `StoreReader.scanConversations` calls back: per block with its digest, then with the
/// block's records summed per conversation. Use it through generics, never as an existential.
public protocol ConversationVisitor {
    /// Whether to read a block; false skips it unread.
    mutating func shouldRead(block digest: BlockDigest) -> Bool
    mutating func visit(_ block: ConversationSums)
    /// False when no annotation or node field matters to the visitor: the store then skips
    /// building them (the block's dictionaries are still checked), and sums carry neither.
    var needsAnnotations: Bool { get }
}
