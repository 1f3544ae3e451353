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
    /// A string of the block's dictionary (`BlockRows.string(_:)`).
    public var destinationService: Int
    public var verdict: Verdict
    public var egress: Int?
    public var ingress: Int?
    public var pendingEgress: Int?
    public var pendingIngress: Int?
}

/// What stored annotations share besides their identities, by the numbers of its parts in
/// the block's dictionaries: service, verdict and traces. A block holds far fewer outcomes
/// than annotations (`BlockRows.forEachOutcome`, `forEachAnnotationByOutcome`).
public struct OutcomeParts: Equatable, Sendable {
    /// A string of the block's dictionary (`BlockRows.string(_:)`).
    public var destinationService: Int
    public var verdict: Verdict
    public var egress: Int?
    public var ingress: Int?
    public var pendingEgress: Int?
    public var pendingIngress: Int?
}

/// A stored identity by the numbers of its strings and label set in the block's dictionary
/// (`BlockRows.string(_:)`, `withStringBytes(_:_:)`, `forEachLabel(inSet:_:)`).
public struct IdentityParts: Equatable, Sendable {
    public var kind: EndpointKind
    public var namespace: Int
    public var name: Int
    public var aggregatedName: Int
    public var labelSet: Int
    public var serviceAccount: Int
}

/// A policy hit of a stored trace, its strings by number.
public struct PolicyHitParts: Equatable, Sendable {
    public var index: Int
    public var tier: Int
    public var kind: PolicyKind
    public var namespace: Int
    public var name: Int
    public var action: PolicyAction
    public var ruleIndex: Int
}

/// The string, label set, identity and trace tables that the blocks of one version 3 segment
/// share (its dictionary records'): equal for two blocks exactly when their entries with the
/// same numbers are the same, so a reader that folds those tables can fold them once per
/// segment instead of once per block. Holds the tables alive, so equality cannot be fooled by
/// an address reused for another segment's.
public struct SegmentTables: Equatable {
    let dictionary: SegmentDictionary
    public static func == (l: SegmentTables, r: SegmentTables) -> Bool { l.dictionary === r.dictionary }
}

extension BlockRows {
    /// The segment tables the block's strings, label sets, identities and traces are numbered
    /// in; nil for a block that holds its own (format versions before 3).
    public var segmentTables: SegmentTables? { dictionaries?.sharedSegment.map { SegmentTables(dictionary: $0) } }

    /// Every annotation of the block in stored order (numbers 0, 1, …), by its parts' numbers.
    public func forEachAnnotation(_ body: (AnnotationParts) -> Void) { dictionaries?.forEachAnnotation(body) }
    /// Outcomes in the block's dictionary.
    public var outcomeCount: Int { dictionaries?.outcomeCount ?? 0 }
    /// Every outcome of the block in stored order (numbers 0, 1, …), by its parts' numbers.
    public func forEachOutcome(_ body: (OutcomeParts) -> Void) { dictionaries?.forEachOutcome(body) }
    /// Every annotation of the block in stored order, as its source and destination identity
    /// numbers and the number of its outcome (`forEachOutcome`): the same annotations as
    /// `forEachAnnotation`, for a reader that works on each outcome once rather than once per
    /// annotation.
    public func forEachAnnotationByOutcome(_ body: (_ source: Int, _ destination: Int, _ outcome: Int) -> Void) {
        dictionaries?.forEachAnnotationByOutcome(body)
    }
    /// Every prepared record in order (numbers 0, 1, …): the numbers of its annotation, node
    /// string and domain set, as `preparedAnnotationNumber`, `preparedNodeNumber` and
    /// `preparedDomainsNumber` give them one by one.
    public func forEachPrepared(_ body: (_ annotation: Int?, _ node: Int?, _ domains: Int?) -> Void) {
        dictionaries?.forEachTemplate(body)
    }
    /// Trace `n`'s hits in order, by their strings' numbers, handed to `hit`; returns its
    /// reporter, action and number of hits. Builds nothing.
    @discardableResult
    public func traceParts(_ n: Int, hit: (PolicyHitParts) -> Void) -> (reporter: Reporter, action: Verdict, hits: Int) {
        dictionaries!.traceParts(n, hit: hit)
    }

    /// The number of prepared record `t`'s annotation among the block's `annotationCount`,
    /// nil when it has none (or the block was decoded without annotations).
    public func preparedAnnotationNumber(_ t: Int) -> Int? { dictionaries!.annotationNumber(template: t) }
    /// The string number of prepared record `t`'s node name, nil when the block was decoded
    /// without annotations (the node is then "").
    public func preparedNodeNumber(_ t: Int) -> Int? { dictionaries!.nodeNumber(template: t) }
    /// Prepared record `t`'s node name ("" when unknown).
    public func preparedNode(_ t: Int) -> String { dictionaries!.node(template: t) }
    /// The number of prepared record `t`'s destination domain set, nil when it has none.
    public func preparedDomainsNumber(_ t: Int) -> Int? { dictionaries!.domainsNumber(template: t) }
    /// Prepared record `t`'s destination domain names.
    public func preparedDomains(_ t: Int) -> DomainNames { dictionaries!.domains(template: t) }
    /// Strings in the block's dictionary.
    public var stringCount: Int { dictionaries?.stringCount ?? 0 }
    /// String `n` of the block's dictionary (built on first use).
    public func string(_ n: Int) -> String { dictionaries!.string(n) }
    /// Domain set `n` of the block's dictionary (built on first use).
    public func domainSet(_ n: Int) -> DomainNames { dictionaries!.domainSet(n) }
    /// Domain sets in the block's dictionary.
    public var domainSetCount: Int { dictionaries?.domainSetCount ?? 0 }
    /// String `n`'s UTF-8 bytes where they lie in the block (valid only inside `body`), for a
    /// reader that needs no `String`.
    public func withStringBytes<R>(_ n: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        dictionaries!.withStringBytes(n, body)
    }
    /// Identity `n` by the numbers of its parts, without building it.
    public func identityParts(_ n: Int) -> IdentityParts { dictionaries!.identityParts(n) }
    /// Label sets in the block's dictionary.
    public var labelSetCount: Int { dictionaries?.labelSetCount ?? 0 }
    /// Label set `n`'s pairs by string number, in stored order.
    public func forEachLabel(inSet n: Int, _ body: (_ key: Int, _ value: Int) -> Void) {
        dictionaries!.forEachLabel(inSet: n, body)
    }
    /// Annotations in the block's dictionary.
    public var annotationCount: Int { dictionaries?.annotationCount ?? 0 }
    /// Annotation `a` by the numbers of its identities and traces.
    public func annotationParts(_ a: Int) -> AnnotationParts { dictionaries!.annotationParts(a) }
    /// Policy traces in the block's dictionary.
    public var traceCount: Int { dictionaries?.traceCount ?? 0 }
    /// Trace `n` of the block's dictionary (built on first use).
    public func trace(_ n: Int) -> PolicyTrace { dictionaries!.trace(n) }
}

// A row's own fields one by one, for a visitor that folds its conversation's fields once per
// conversation (`conversationColumns.record(c)`, in conversation order) instead of once per row.
extension BlockRows {
    @inlinable public func start(ofRow row: Int) -> Timestamp { Timestamp(nanoseconds: starts[row]) }
    @inlinable public func end(ofRow row: Int) -> Timestamp { Timestamp(nanoseconds: ends[row]) }
    @inlinable public func tcpFlagsOut(ofRow row: Int) -> TCPFlags { TCPFlags(rawValue: UInt8(truncatingIfNeeded: shapes[row])) }
    @inlinable public func tcpFlagsIn(ofRow row: Int) -> TCPFlags { TCPFlags(rawValue: UInt8(truncatingIfNeeded: shapes[row] >> 8)) }
    @inlinable public func status(ofRow row: Int) -> FlowStatus { FlowStatus(rawValue: UInt16(truncatingIfNeeded: shapes[row] >> 16)) }
    @inlinable public func icmpType(ofRow row: Int) -> UInt8 { UInt8(truncatingIfNeeded: shapes[row] >> 32) }
    @inlinable public func icmpCode(ofRow row: Int) -> UInt8 { UInt8(truncatingIfNeeded: shapes[row] >> 40) }
}
