import FlowCore
import SegmentStore

/// Encodes flows as RowBinary rows of every `FlowColumn`, in order; its value-by-value
/// encoding of a flow and of an annotation is also what `NativeFlowEncoder` builds its
/// annotation fragments with, so what goes into which column is written down once.
///
/// Flows decided alike share one annotation box (see `FlowAnnotation`), so the annotation's
/// forty-odd columns are encoded once per box and copied for every further flow that holds
/// it; the cache lives for one batch and holds the boxes so their identities stay unique.
struct FlowRowEncoder {
    let storeID: String
    private var annotationBytes: [ObjectIdentifier: (FlowAnnotation, [UInt8])] = [:]
    private var scratch = RowBinaryWriter(capacity: 512)
    private static let unannotatedBytes: [UInt8] = {
        var w = RowBinaryWriter()
        FlowRowEncoder.encode(nil, into: &w)
        return w.bytes
    }()

    init(storeID: String) { self.storeID = storeID }

    /// Forgets cached annotations (between batches, so memory follows one batch).
    mutating func reset() {
        annotationBytes.removeAll(keepingCapacity: true)
    }

    mutating func append(_ record: AnnotatedFlow, at position: BlockPosition, row: UInt32, into w: inout RowBinaryWriter) {
        encodeFlow(record, at: position, row: row, into: &w)
        switch record.annotation {
        case .none:
            w.append(Self.unannotatedBytes)
        case .some(let a):
            let key = a.storageIdentity
            if let cached = annotationBytes[key] {
                w.append(cached.1)
            } else {
                scratch.bytes.removeAll(keepingCapacity: true)
                Self.encode(a, into: &scratch)
                annotationBytes[key] = (a, scratch.bytes)
                w.append(scratch.bytes)
            }
        }
    }

    /// Provenance and the flow record: every column before the annotation.
    private func encodeFlow<S: ColumnValueSink>(_ record: AnnotatedFlow, at position: BlockPosition, row: UInt32, into w: inout S) {
        let f = record.flow
        w.string(storeID)
        w.uint64(position.segment)
        w.uint32(position.block)
        w.uint32(row)
        w.string(record.node)
        w.uint64(f.start.nanoseconds)
        w.uint64(f.end.nanoseconds)
        w.uint8(f.sourceAddress.version == .v4 ? 4 : 6)
        w.fixed16(f.sourceAddress)
        w.fixed16(f.destinationAddress)
        w.uint16(f.sourcePort)
        w.uint16(f.destinationPort)
        w.uint8(f.ipProtocol.rawValue)
        w.uint16(f.vlan)
        w.uint16(f.innerVLAN)
        w.uint8(f.icmpType)
        w.uint8(f.icmpCode)
        w.uint64(f.packetsOut)
        w.uint64(f.bytesOut)
        w.uint64(f.packetsIn)
        w.uint64(f.bytesIn)
        w.uint8(f.tcpFlagsOut.rawValue)
        w.uint8(f.tcpFlagsIn.rawValue)
        w.uint16(f.status.rawValue)
        w.strings(record.destinationDomains.names)
    }

    /// The annotation columns, `annotated` through the last pending-ingress column.
    static func encode<S: ColumnValueSink>(_ annotation: FlowAnnotation?, into w: inout S) {
        guard let a = annotation else {
            w.uint8(0)  // annotated
            w.uint8(Verdict.unknown.rawValue)
            w.uint8(Verdict.unknown.rawValue)  // pending verdict
            w.uint8(0)  // reporter: none
            for _ in 0..<2 {
                // Namespace, name and aggregated name as query output prints them for a flow
                // without annotation, so a GROUP BY on the column alone groups like the text.
                w.uint8(0)  // kind: none
                w.string("-"); w.string("-"); w.string("-")
                w.strings([]); w.strings([])
                w.string("")
            }
            w.string("")
            for _ in FlowColumn.Trace.allCases { encode(trace: nil, into: &w) }
            return
        }
        w.uint8(1)
        w.uint8(a.verdict.rawValue)
        w.uint8(a.pendingVerdict.rawValue)
        w.uint8(a.reporter?.rawValue ?? 0)
        encode(identity: a.source, into: &w)
        encode(identity: a.destination, into: &w)
        w.string(a.destinationService)
        for trace in FlowColumn.Trace.allCases { encode(trace: trace.of(a), into: &w) }
    }

    private static func encode<S: ColumnValueSink>(identity: EndpointIdentity, into w: inout S) {
        w.uint8(identity.kind.rawValue)
        w.string(identity.namespace)
        w.string(identity.name)
        w.string(identity.aggregatedName)
        // Sorted by key, so equal label sets always encode (and deduplicate) alike.
        let labels = identity.labels.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
        w.strings(labels.map(\.key))
        w.strings(labels.map(\.value))
        w.string(identity.serviceAccount)
    }

    private static func encode<S: ColumnValueSink>(trace: PolicyTrace?, into w: inout S) {
        guard let trace else {
            w.uint8(0)  // reporter: none
            w.uint8(Verdict.unknown.rawValue)
            w.int32s([]); w.strings([]); w.enum8s([]); w.strings([]); w.strings([]); w.enum8s([]); w.int32s([])
            return
        }
        let hits = trace.hits
        w.uint8(trace.reporter.rawValue)
        w.uint8(trace.action.rawValue)
        w.int32s(hits.map { Int32(clamping: $0.index) })
        w.strings(hits.map(\.tier))
        w.enum8s(hits.map(\.kind.rawValue))
        w.strings(hits.map(\.namespace))
        w.strings(hits.map(\.name))
        w.enum8s(hits.map(\.action.rawValue))
        w.int32s(hits.map { Int32(clamping: $0.ruleIndex) })
    }
}
