import FlowCore

/// What a `StoreReader.scanRows` calls back: per block with its digest, then with the decoded
/// block, whose rows the visitor reads field by field where they lie (`BlockRows`).
///
/// Nothing is built per row: a row's own fields are read from their columns, and its
/// annotation, node and domain names are numbers into the block's dictionaries, each entry
/// built once per block when first asked for. A visitor that needs every field of every row
/// (a full scan) pays per row for the numbers, not for a record per row or per annotation.
/// Use it through generics, never as an existential.
public protocol StoreRowVisitor {
    /// Whether to read a block; false skips it unread.
    mutating func shouldRead(block digest: BlockDigest) -> Bool
    /// A block it chose to read, decoded (rows inside the scan's time range); false stops the
    /// scan after it.
    mutating func visit(rows block: BlockRows) -> Bool
}

extension StoreReader {
    /// Hands every block overlapping `[since, until)` to `visitor` as its decoded rows (only
    /// rows inside the range), in the order `scan` visits flows. Every row of a block handed
    /// over counts as visited.
    @inlinable
    public func scanRows<V: StoreRowVisitor>(since: Timestamp?, until: Timestamp?, visitor: inout V) throws -> ScanStatistics {
        let cursor = try _ScanCursor(reader: self, since: since, until: until)
        var block = BlockRows()
        while let digest = try cursor.nextBlock() {
            guard visitor.shouldRead(block: digest) else {
                cursor.skipBlock()
                continue
            }
            guard try cursor.readBlock(into: &block) else { continue }
            cursor.visited(block.count)
            if !visitor.visit(rows: block) { break }
        }
        return cursor.finish()
    }
}

/// A stored annotation by the numbers of its parts in the block's dictionaries (identities
/// and traces, each built once per block: `BlockRows.identity(_:)`, `trace(_:)`).
public struct AnnotationParts: Equatable, Sendable {
    public var source: Int
    public var destination: Int
    public var destinationService: String
    public var verdict: Verdict
    public var egress: Int?
    public var ingress: Int?
    public var pendingEgress: Int?
    public var pendingIngress: Int?
}

extension BlockRows {
    /// The number of prepared record `t`'s annotation among the block's `annotationCount`,
    /// nil when it has none (or the block was decoded without annotations).
    public func preparedAnnotationNumber(_ t: Int) -> Int? { dictionaries!.annotationNumber(template: t) }
    /// Prepared record `t`'s node name ("" when unknown).
    public func preparedNode(_ t: Int) -> String { dictionaries!.node(template: t) }
    /// Prepared record `t`'s destination domain names.
    public func preparedDomains(_ t: Int) -> DomainNames { dictionaries!.domains(template: t) }
    /// Annotations in the block's dictionary.
    public var annotationCount: Int { dictionaries?.annotationCount ?? 0 }
    /// Annotation `a` by the numbers of its identities and traces.
    public func annotationParts(_ a: Int) -> AnnotationParts { dictionaries!.annotationParts(a) }
    /// Policy traces in the block's dictionary.
    public var traceCount: Int { dictionaries?.traceCount ?? 0 }
    /// Trace `n` of the block's dictionary (built on first use).
    public func trace(_ n: Int) -> PolicyTrace { dictionaries!.trace(n) }
}
