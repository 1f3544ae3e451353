import FlowCore

/// What a `StoreReader.scan` calls back: first per block with its digest, then per flow.
///
/// Use it through generics (`scan(…, visitor: &myVisitor)`), never as an existential.
public protocol StoreVisitor {
    /// Whether to read a block; false skips it unread. Blocks of the open segment carry a
    /// digest without a Bloom filter (every `mayContain(token:)` answers true).
    mutating func shouldRead(block digest: BlockDigest) -> Bool
    /// One flow; false stops the scan.
    mutating func visit(_ flow: AnnotatedFlow) -> Bool
}
