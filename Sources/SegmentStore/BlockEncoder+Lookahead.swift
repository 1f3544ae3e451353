import CPrefetch
import FlowCore

/// Numbering a block's rows as a software pipeline: while row `i` is numbered, the cache lines
/// rows `i + 2` to `i + 8` will read are already on their way.
///
/// A block holds tens of thousands of rows, and its tables (addresses, annotations) outgrow the
/// processor's caches, so numbering a row is a few dependent cache misses: the annotation's box
/// (its producer's numbers and verdict; another thread wrote its reference count last, so it is
/// not in this core's cache), the address table's slots and keys, the annotation table's slot
/// and key. At a node's stop every flow the flow cache held reaches the encoder at once, oldest
/// first, their boxes long cold: there these misses were a quarter of the stop's CPU. Three
/// stages, each reading only what the stage before fetched:
///
/// | stage | rows ahead | reads (cached by the stage before) | asks for |
/// |---|---:|---|---|
/// | `prefetch(row:)` | 8 | the row | the annotation's box, both address slots |
/// | `prefetchFound(row:)` | 5 | the box, the address slots | both address keys; the annotation key's slot |
/// | `prefetchKeyed(row:)` | 2 | the annotation key's slot | the annotation key |
///
/// The annotation's key is worked out only when every part already has its block number (the
/// usual case: a block meets few identities and traces); a part new to the block is numbered
/// only by `add(row:)`. Every stage only reads and prefetches: it numbers nothing, so the block
/// cannot depend on it (`NumberingLookaheadTests` compares blocks numbered with and without).
extension BlockEncoder {
    static let rowPrefetchDistance = 8
    static let rowFoundDistance = 5
    static let rowKeyedDistance = 2

    /// Where a row's annotation lies in it: an optional annotation is one reference (nil is
    /// zero), so the word there is the box's address (`NumberingLookaheadTests` checks it).
    static var annotationOffset: Int { MemoryLayout<AnnotatedFlow>.offset(of: \AnnotatedFlow.annotation)! }

    /// Stage 1: the annotation's box and both addresses' slots.
    @inline(__always)
    mutating func prefetch(row: UnsafePointer<AnnotatedFlow>, annotationOffset: Int) {
        let box = UnsafeRawPointer(row).load(fromByteOffset: annotationOffset, as: UInt.self)
        if box != 0 { flowlog_prefetch_read(UnsafeRawPointer(bitPattern: box)) }
        content.addresses.prefetch(row.pointee.flow.sourceAddress)
        content.addresses.prefetch(row.pointee.flow.destinationAddress)
    }

    /// Stage 2: with the box and slots in the cache, both addresses' keys and the slot of the
    /// annotation's key.
    @inline(__always)
    mutating func prefetchFound(row: UnsafePointer<AnnotatedFlow>) {
        content.addresses.prefetchKey(of: row.pointee.flow.sourceAddress)
        content.addresses.prefetchKey(of: row.pointee.flow.destinationAddress)
        if let key = existingAnnotationKey(row) { content.annotations.prefetch(key) }
    }

    /// Stage 3: with its slot in the cache, the annotation's key.
    @inline(__always)
    mutating func prefetchKeyed(row: UnsafePointer<AnnotatedFlow>) {
        if let key = existingAnnotationKey(row) { content.annotations.prefetchKey(of: key) }
    }

    /// The key `intern(numbered:_:)` would look the row's annotation up by, when the
    /// annotation carries numbers of the current space and every part already has its block
    /// number; nil otherwise. Numbers nothing.
    @inline(__always)
    func existingAnnotationKey(_ row: UnsafePointer<AnnotatedFlow>) -> AnnotationKey? {
        guard let n = row.pointee.annotation?.numbers, !n.isAbsent, n.space == numberedParts.space,
              let sourceGlobal = numberedParts.identity(n.source), let source = blockIdentities.peekNumber(of: sourceGlobal),
              let destinationGlobal = numberedParts.identity(n.destination),
              let destination = blockIdentities.peekNumber(of: destinationGlobal),
              let service = n.service == 0 ? emptyNode : numberedParts.service(n.service).flatMap({ blockStrings.peekNumber(of: $0) }),
              let egress = existingTrace(n.egress), let ingress = existingTrace(n.ingress),
              let pendingEgress = existingTrace(n.pendingEgress), let pendingIngress = existingTrace(n.pendingIngress)
        else { return nil }
        return AnnotationKey(source: source, destination: destination, service: service,
                             egress: egress, ingress: ingress, pendingEgress: pendingEgress, pendingIngress: pendingIngress,
                             verdict: row.pointee.annotation.unsafelyUnwrapped.verdict)
    }

    /// A trace field of the key (block number + 1, 0 for none) if the trace has its block number.
    @inline(__always)
    private func existingTrace(_ number: UInt32) -> Int? {
        if number == 0 { return 0 }
        guard let global = numberedParts.trace(number), let block = blockTraces.peekNumber(of: global) else { return nil }
        return block + 1
    }
}
