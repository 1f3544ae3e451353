#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore

/// Turns RowBinary rows of chosen `FlowColumn`s (a SELECT's result) back into flows. Columns
/// not selected keep neutral values; the annotation is absent only when `annotated` was
/// selected and is 0 (a group-by that does not select it needs only fields that print alike
/// either way). Enum values outside their type's range are an error naming the column.
struct FlowRowDecoder {
    let columns: [FlowColumn]

    /// Fields as read, before they are assembled into value types.
    private struct Side {
        var kind: UInt8 = 0
        var namespace = "", name = "", aggregatedName = "", serviceAccount = ""
        var labelKeys: [String] = [], labelValues: [String] = []
    }

    private struct TraceFields {
        var reporter: UInt8 = 0, action: UInt8 = 0
        var index: [Int32] = [], rule: [Int32] = []
        var tier: [String] = [], namespace: [String] = [], name: [String] = []
        var kind: [UInt8] = [], hitAction: [UInt8] = []
    }

    /// When the columns end with every annotation column in table order (whole rows), rows
    /// with the same annotation bytes share one decoded annotation: flows decided alike are
    /// most of a result, and building identities and traces is most of the decoding.
    private let annotationTail: Int?
    private var annotations: [AnnotationBytes: FlowAnnotation?] = [:]

    /// A row's annotation bytes as a dictionary key: hashed and compared through raw memory,
    /// which stays fast in debug builds too.
    private struct AnnotationBytes: Hashable {
        let bytes: [UInt8]
        let hash: UInt64

        init(_ slice: ArraySlice<UInt8>) {
            bytes = Array(slice)
            hash = bytes.withUnsafeBufferPointer { p in
                var h: UInt64 = 0xcbf2_9ce4_8422_2325
                for b in p { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
                return h
            }
        }

        static func == (l: Self, r: Self) -> Bool {
            l.hash == r.hash && l.bytes.count == r.bytes.count
                && l.bytes.withUnsafeBytes { a in r.bytes.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 } }
        }

        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    }

    /// Per column, worked out once (a column's type and trace are text lookups).
    private enum Shape { case byte, string, strings, int32s, bytes }
    private let shapes: [Shape]
    private let traceParts: [(FlowColumn.Trace, FlowColumn.TracePart)?]

    init(columns: [FlowColumn]) {
        self.columns = columns
        shapes = columns.map { c in
            switch c.type {
            case "String": return .string
            case "Array(String)": return .strings
            case "Array(Int32)": return .int32s
            case _ where c.type.hasPrefix("Array("): return .bytes
            default: return .byte
            }
        }
        traceParts = columns.map(\.traceColumn)
        let tail = Array(FlowColumn.allCases.drop { $0 != FlowColumn.firstAnnotationColumn })
        annotationTail = columns.count >= tail.count && Array(columns.suffix(tail.count)) == tail ? columns.count - tail.count : nil
    }

    mutating func decodeRow(_ r: inout RowBinaryReader) throws -> AnnotatedFlow {
        guard let head = annotationTail else { return try decodeFields(&r, columns.indices) }
        var record = try decodeFields(&r, 0..<head)
        let start = r.offset
        try skipAnnotation(&r)
        let key = AnnotationBytes(r.bytes(from: start))
        if let cached = annotations[key] {
            record.annotation = cached
            return record
        }
        var again = r
        again.rewind(to: start)
        let decoded = try decodeFields(&again, head..<columns.count).annotation
        if annotations.count < 100_000 { annotations[key] = decoded }
        record.annotation = decoded
        return record
    }

    /// Moves past the annotation columns without building anything.
    private func skipAnnotation(_ r: inout RowBinaryReader) throws {
        for shape in shapes[annotationTail!...] {
            switch shape {
            case .string: try r.skipString()
            case .strings: for _ in 0..<(try r.length()) { try r.skipString() }
            case .int32s: try r.skip(4 * (try r.length()))
            case .bytes: try r.skip(try r.length())
            case .byte: try r.skip(1)
            }
        }
    }

    private func decodeFields(_ r: inout RowBinaryReader, _ indices: Range<Int>) throws -> AnnotatedFlow {
        var flow = FlowRecord(sourceAddress: IPAddress(ipv4: 0), destinationAddress: IPAddress(ipv4: 0), ipProtocol: .tcp,
                              start: .zero, end: .zero)
        var node = ""
        var domains = DomainNames.none
        var version: IPVersion = .v4
        var annotated = !columns.contains(.annotated)
        var verdict: UInt8 = 0
        var source = Side(), destination = Side()
        var service = ""
        var traces = Array(repeating: TraceFields(), count: FlowColumn.Trace.allCases.count)
        for i in indices {
            let column = columns[i]
            switch column {
            case .storeID: _ = try r.string()
            case .segment: _ = try r.uint64()
            case .block, .row: _ = try r.uint32()
            case .node: node = try r.string()
            case .startNanoseconds: flow.start = Timestamp(nanoseconds: try r.uint64())
            case .endNanoseconds: flow.end = Timestamp(nanoseconds: try r.uint64())
            case .ipVersion: version = try r.uint8() == 6 ? .v6 : .v4
            case .sourceAddress: flow.sourceAddress = try r.fixed16(version: version)
            case .destinationAddress: flow.destinationAddress = try r.fixed16(version: version)
            case .sourcePort: flow.sourcePort = try r.uint16()
            case .destinationPort: flow.destinationPort = try r.uint16()
            case .ipProtocol: flow.ipProtocol = IPProtocol(rawValue: try r.uint8())
            case .vlan: flow.vlan = try r.uint16()
            case .innerVLAN: flow.innerVLAN = try r.uint16()
            case .icmpType: flow.icmpType = try r.uint8()
            case .icmpCode: flow.icmpCode = try r.uint8()
            case .packetsOut: flow.packetsOut = try r.uint64()
            case .bytesOut: flow.bytesOut = try r.uint64()
            case .packetsIn: flow.packetsIn = try r.uint64()
            case .bytesIn: flow.bytesIn = try r.uint64()
            case .tcpFlagsOut: flow.tcpFlagsOut = TCPFlags(rawValue: try r.uint8())
            case .tcpFlagsIn: flow.tcpFlagsIn = TCPFlags(rawValue: try r.uint8())
            case .status: flow.status = FlowStatus(rawValue: try r.uint16())
            case .destinationDomains: domains = DomainNames(try strings(&r))
            case .annotated: annotated = try r.uint8() != 0
            case .verdict: verdict = try r.uint8()
            case .pendingVerdict, .reporter: _ = try r.uint8()  // derived from the traces
            case .sourceKind: source.kind = try r.uint8()
            case .sourceNamespace: source.namespace = try r.string()
            case .sourceName: source.name = try r.string()
            case .sourceNameAggr: source.aggregatedName = try r.string()
            case .sourceLabelKeys: source.labelKeys = try strings(&r)
            case .sourceLabelValues: source.labelValues = try strings(&r)
            case .sourceServiceAccount: source.serviceAccount = try r.string()
            case .destinationKind: destination.kind = try r.uint8()
            case .destinationNamespace: destination.namespace = try r.string()
            case .destinationName: destination.name = try r.string()
            case .destinationNameAggr: destination.aggregatedName = try r.string()
            case .destinationLabelKeys: destination.labelKeys = try strings(&r)
            case .destinationLabelValues: destination.labelValues = try strings(&r)
            case .destinationServiceAccount: destination.serviceAccount = try r.string()
            case .destinationService: service = try r.string()
            default:
                guard let (trace, part) = traceParts[i] else { preconditionFailure("undecoded column \(column)") }
                let t = trace.rawValue
                switch part {
                case .reporter: traces[t].reporter = try r.uint8()
                case .action: traces[t].action = try r.uint8()
                case .hitIndex: traces[t].index = try int32s(&r)
                case .hitTier: traces[t].tier = try strings(&r)
                case .hitKind: traces[t].kind = try bytes(&r)
                case .hitNamespace: traces[t].namespace = try strings(&r)
                case .hitName: traces[t].name = try strings(&r)
                case .hitAction: traces[t].hitAction = try bytes(&r)
                case .hitRule: traces[t].rule = try int32s(&r)
                }
            }
        }
        guard annotated else { return AnnotatedFlow(flow: flow, annotation: nil, node: node, destinationDomains: domains) }
        guard let v = Verdict(rawValue: verdict) else { throw bad(.verdict, verdict) }
        let built = try traces.enumerated().map { try trace($0.element, FlowColumn.Trace(rawValue: $0.offset)!) }
        let annotation = FlowAnnotation(source: try identity(source, .sourceKind), destination: try identity(destination, .destinationKind),
                                        destinationService: service, verdict: v, egress: built[0], ingress: built[1],
                                        pendingEgress: built[2], pendingIngress: built[3])
        return AnnotatedFlow(flow: flow, annotation: annotation, node: node, destinationDomains: domains)
    }

    private func bad(_ column: FlowColumn, _ value: UInt8) -> FlowlogError {
        FlowlogError(.corrupt, "value \(value) out of range", location: .init(field: column.rawValue))
    }

    private func identity(_ s: Side, _ column: FlowColumn) throws -> EndpointIdentity {
        // Kind 0 only appears with the annotation absent; a selected side always has a kind.
        let kind = EndpointKind(rawValue: s.kind) ?? .network
        guard s.kind == 0 || EndpointKind(rawValue: s.kind) != nil else { throw bad(column, s.kind) }
        var labels: [String: String] = [:]
        for (k, v) in zip(s.labelKeys, s.labelValues) { labels[k] = v }
        return EndpointIdentity(kind: kind, namespace: s.namespace, name: s.name, aggregatedName: s.aggregatedName,
                                labels: labels, serviceAccount: s.serviceAccount)
    }

    private func trace(_ t: TraceFields, _ which: FlowColumn.Trace) throws -> PolicyTrace? {
        guard t.reporter != 0 else { return nil }
        guard let reporter = Reporter(rawValue: t.reporter) else { throw bad(which.column(.reporter), t.reporter) }
        guard let action = Verdict(rawValue: t.action) else { throw bad(which.column(.action), t.action) }
        let n = t.tier.count
        guard t.index.count == n, t.kind.count == n, t.namespace.count == n, t.name.count == n,
              t.hitAction.count == n, t.rule.count == n else {
            throw FlowlogError(.corrupt, "hit arrays of different lengths", location: .init(field: which.prefix))
        }
        var hits: [PolicyHit] = []
        for i in 0..<n {
            guard let kind = PolicyKind(rawValue: t.kind[i]) else { throw bad(which.column(.hitKind), t.kind[i]) }
            guard let hitAction = PolicyAction(rawValue: t.hitAction[i]) else { throw bad(which.column(.hitAction), t.hitAction[i]) }
            hits.append(PolicyHit(index: Int(t.index[i]), tier: t.tier[i], kind: kind, namespace: t.namespace[i], name: t.name[i],
                                  action: hitAction, ruleIndex: Int(t.rule[i])))
        }
        return PolicyTrace(reporter: reporter, action: action, hits: hits)
    }

    private func strings(_ r: inout RowBinaryReader) throws -> [String] {
        let n = try r.length()
        var result: [String] = []
        result.reserveCapacity(min(n, 1024))
        for _ in 0..<n { result.append(try r.string()) }
        return result
    }

    private func bytes(_ r: inout RowBinaryReader) throws -> [UInt8] {
        let n = try r.length()
        var result: [UInt8] = []
        for _ in 0..<n { result.append(try r.uint8()) }
        return result
    }

    private func int32s(_ r: inout RowBinaryReader) throws -> [Int32] {
        let n = try r.length()
        var result: [Int32] = []
        for _ in 0..<n { result.append(try r.int32()) }
        return result
    }
}
