import FlowCore
import SegmentStore

/// The full scan as a whole-record reader does it: every flow handed over as an
/// `AnnotatedFlow` (`StoreReader.scan`), every field folded afresh per flow. The reference
/// for `RowDigestVisitor`.
struct RecordDigestVisitor: StoreVisitor {
    var checksum: UInt64 = 0
    var flows = 0
    mutating func shouldRead(block digest: BlockDigest) -> Bool { true }
    mutating func visit(_ flow: AnnotatedFlow) -> Bool {
        flows += 1
        checksum &+= FieldDigest.flow(flow)
        return true
    }
}

/// The full scan reading rows where they lie (`StoreReader.scanRows`): per row its own fields
/// from the block's columns and its prepared record's number; each dictionary entry (identity,
/// trace, annotation with node and domains) decoded and folded once per block, when a row
/// first needs it. The same checksum as `RecordDigestVisitor`.
struct RowDigestVisitor: StoreRowVisitor {
    var checksum: UInt64 = 0
    var flows = 0
    // Per block, by number; 0 = not folded yet (a digest of 0 is refolded, which is harmless).
    private var preparedDigests: [UInt64] = []
    private var identityDigests: [UInt64] = []
    private var traceDigests: [UInt64] = []

    mutating func shouldRead(block digest: BlockDigest) -> Bool { true }

    mutating func visit(rows b: BlockRows) -> Bool {
        preparedDigests.removeAll(keepingCapacity: true)
        preparedDigests.append(contentsOf: repeatElement(0, count: b.preparedCount))
        identityDigests.removeAll(keepingCapacity: true)
        identityDigests.append(contentsOf: repeatElement(0, count: b.identityCount))
        traceDigests.removeAll(keepingCapacity: true)
        traceDigests.append(contentsOf: repeatElement(0, count: b.traceCount))
        var sum: UInt64 = 0
        for row in 0..<b.rowCount {
            let t = b.preparedIndex(ofConversation: b.conversation(ofRow: row))
            var shared = preparedDigests[t]
            if shared == 0 {
                shared = prepared(t, of: b)
                preparedDigests[t] = shared
            }
            sum &+= FieldDigest.mix(FieldDigest.record(b.record(row)), shared)
        }
        checksum &+= sum
        flows += b.rowCount
        return true
    }

    private mutating func prepared(_ t: Int, of b: BlockRows) -> UInt64 {
        var annotation: UInt64?
        if let a = b.preparedAnnotationNumber(t) {
            let p = b.annotationParts(a)
            annotation = FieldDigest.annotation(source: identity(p.source, of: b), destination: identity(p.destination, of: b),
                                                service: p.destinationService, verdict: p.verdict,
                                                traces: (p.egress.map { trace($0, of: b) }, p.ingress.map { trace($0, of: b) },
                                                         p.pendingEgress.map { trace($0, of: b) }, p.pendingIngress.map { trace($0, of: b) }))
        }
        return FieldDigest.prepared(annotation: annotation, node: b.preparedNode(t), domains: b.preparedDomains(t))
    }

    private mutating func identity(_ n: Int, of b: BlockRows) -> UInt64 {
        if identityDigests[n] == 0 { identityDigests[n] = FieldDigest.identity(b.identity(n)) }
        return identityDigests[n]
    }

    private mutating func trace(_ n: Int, of b: BlockRows) -> UInt64 {
        if traceDigests[n] == 0 { traceDigests[n] = FieldDigest.trace(b.trace(n)) }
        return traceDigests[n]
    }
}
