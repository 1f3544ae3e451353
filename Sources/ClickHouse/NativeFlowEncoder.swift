import FlowCore
import SegmentStore

/// Encodes chosen rows of decoded store blocks into a `NativeBlock`, column by column: each
/// column's values for all the rows are written in one loop, straight into that column's
/// bytes, with room reserved once per column and block.
///
/// The annotation's columns (from `annotated` on) come from fragments: flows decided alike
/// share one annotation box, so each distinct box is encoded once per batch into one buffer
/// with a span per column, and every row copies its box's span into each column. The
/// fragments live for one batch and hold their boxes, so box identities stay unique.
struct NativeFlowEncoder {
    /// `store_id` as a Native String (LEB128 length, bytes): the same in every row.
    private let storeIDBytes: [UInt8]
    private var fragments = AnnotationFragments()
    /// Per chosen row of the block being encoded, its fragment.
    private var rowFragments: [Int] = []

    /// The columns before the annotation; the rest are the fragments'.
    static let flowColumnCount = FlowColumn.allCases.firstIndex(of: .firstAnnotationColumn)!
    static let annotationColumnCount = FlowColumn.allCases.count - flowColumnCount

    /// The order `append` writes the flow columns in, checked against the table's.
    private static let flowColumns: [FlowColumn] = [
        .storeID, .segment, .block, .row, .node, .startNanoseconds, .endNanoseconds, .ipVersion, .sourceAddress,
        .destinationAddress, .sourcePort, .destinationPort, .ipProtocol, .vlan, .innerVLAN, .icmpType, .icmpCode,
        .packetsOut, .bytesOut, .packetsIn, .bytesIn, .tcpFlagsOut, .tcpFlagsIn, .status, .destinationDomains,
    ]

    init(storeID: String) {
        precondition(Array(FlowColumn.allCases.prefix(Self.flowColumnCount)) == Self.flowColumns,
                     "NativeFlowEncoder writes the flow columns in an order the table no longer has")
        var w = RowBinaryWriter()
        w.string(storeID)
        storeIDBytes = w.bytes
    }

    /// Forgets the fragments (between batches, so memory follows one batch).
    mutating func reset() { fragments.removeAll() }

    /// Appends rows `rows` (indexes into `flows`, ascending) of the block at `position`.
    mutating func append(_ flows: [AnnotatedFlow], rows: [Int32], at position: BlockPosition, into block: NativeBlock) {
        let n = rows.count
        guard n > 0 else { return }
        let c = block.columns
        flows.withUnsafeBufferPointer { flows in
            rows.withUnsafeBufferPointer { rows in
                // Provenance.
                let store = c[0].data
                store.reserve(n * storeIDBytes.count)
                storeIDBytes.withUnsafeBytes { id in for _ in 0..<n { store.put(id.baseAddress!, id.count) } }
                c[1].data.reserve(n * 8)
                for _ in 0..<n { c[1].data.put(position.segment) }
                c[2].data.reserve(n * 4)
                for _ in 0..<n { c[2].data.put(position.block) }
                c[3].data.reserve(n * 4)
                for r in rows { c[3].data.put(UInt32(bitPattern: r)) }
                // The reporting node: usually one for the whole store, so its bytes are kept
                // and compared rather than encoded per row.
                var runStart = 0
                while runStart < n {
                    let node = flows[Int(rows[runStart])].node
                    var runEnd = runStart + 1
                    while runEnd < n, flows[Int(rows[runEnd])].node == node { runEnd += 1 }
                    var encoded = RowBinaryWriter()
                    encoded.string(node)
                    encoded.bytes.withUnsafeBytes { bytes in
                        c[4].data.reserve((runEnd - runStart) * bytes.count)
                        for _ in runStart..<runEnd { c[4].data.put(bytes.baseAddress!, bytes.count) }
                    }
                    runStart = runEnd
                }
                // The flow record's fixed-width fields.
                c[5].data.reserve(n * 8)
                for r in rows { c[5].data.put(flows[Int(r)].flow.start.nanoseconds) }
                c[6].data.reserve(n * 8)
                for r in rows { c[6].data.put(flows[Int(r)].flow.end.nanoseconds) }
                c[7].data.reserve(n)
                for r in rows { c[7].data.put(UInt8(flows[Int(r)].flow.sourceAddress.version == .v4 ? 4 : 6)) }
                for (column, destination) in [(c[8], false), (c[9], true)] {
                    column.data.reserve(n * 16)
                    for r in rows {
                        let f = flows[Int(r)].flow
                        let a = destination ? f.destinationAddress : f.sourceAddress
                        column.data.putBigEndian(a.high)
                        column.data.putBigEndian(a.low)
                    }
                }
                c[10].data.reserve(n * 2)
                for r in rows { c[10].data.put(flows[Int(r)].flow.sourcePort) }
                c[11].data.reserve(n * 2)
                for r in rows { c[11].data.put(flows[Int(r)].flow.destinationPort) }
                c[12].data.reserve(n)
                for r in rows { c[12].data.put(flows[Int(r)].flow.ipProtocol.rawValue) }
                c[13].data.reserve(n * 2)
                for r in rows { c[13].data.put(flows[Int(r)].flow.vlan) }
                c[14].data.reserve(n * 2)
                for r in rows { c[14].data.put(flows[Int(r)].flow.innerVLAN) }
                c[15].data.reserve(n)
                for r in rows { c[15].data.put(flows[Int(r)].flow.icmpType) }
                c[16].data.reserve(n)
                for r in rows { c[16].data.put(flows[Int(r)].flow.icmpCode) }
                c[17].data.reserve(n * 8)
                for r in rows { c[17].data.put(flows[Int(r)].flow.packetsOut) }
                c[18].data.reserve(n * 8)
                for r in rows { c[18].data.put(flows[Int(r)].flow.bytesOut) }
                c[19].data.reserve(n * 8)
                for r in rows { c[19].data.put(flows[Int(r)].flow.packetsIn) }
                c[20].data.reserve(n * 8)
                for r in rows { c[20].data.put(flows[Int(r)].flow.bytesIn) }
                c[21].data.reserve(n)
                for r in rows { c[21].data.put(flows[Int(r)].flow.tcpFlagsOut.rawValue) }
                c[22].data.reserve(n)
                for r in rows { c[22].data.put(flows[Int(r)].flow.tcpFlagsIn.rawValue) }
                c[23].data.reserve(n * 2)
                for r in rows { c[23].data.put(flows[Int(r)].flow.status.rawValue) }
                // dst_domains, Array(String): most flows have none.
                for r in rows {
                    let names = flows[Int(r)].destinationDomains.names
                    for name in names { c[24].data.appendString(name) }
                    c[24].endArray(names.count)
                }
                // The annotation, from each row's fragment.
                rowFragments.removeAll(keepingCapacity: true)
                var last: (ObjectIdentifier, Int)?
                for r in rows {
                    guard let a = flows[Int(r)].annotation else {
                        rowFragments.append(AnnotationFragments.unannotated)
                        continue
                    }
                    let key = a.storageIdentity
                    if let last, last.0 == key {
                        rowFragments.append(last.1)
                    } else {
                        let f = fragments.index(of: a)
                        rowFragments.append(f)
                        last = (key, f)
                    }
                }
            }
        }
        fragments.copy(rowFragments, into: Array(c[Self.flowColumnCount...]))
        block.rowsAdded(n)
    }
}

/// The annotation columns of each distinct annotation of a batch, encoded once: one buffer,
/// and per (annotation, column) where the column's bytes are in it and how many array elements
/// they hold (-1: a scalar column).
struct AnnotationFragments {
    private var bytes: [UInt8] = []
    /// Per fragment × column (`fragment * columnCount + column`).
    private var starts: [Int] = []
    private var lengths: [Int] = []
    private var elements: [Int] = []
    private var indexOfBox: [ObjectIdentifier: Int] = [:]
    /// The boxes indexed, held so their identities are not reused while indexed.
    private var boxes: [FlowAnnotation] = []

    static let columnCount = NativeFlowEncoder.annotationColumnCount
    /// The fragment of flows stored without annotation: always the first.
    static let unannotated = 0

    init() { removeAll() }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        elements.removeAll(keepingCapacity: true)
        indexOfBox.removeAll(keepingCapacity: true)
        boxes.removeAll(keepingCapacity: true)
        add(nil)
    }

    /// The fragment of `annotation`, encoded the first time the batch meets its box.
    mutating func index(of annotation: FlowAnnotation) -> Int {
        if let found = indexOfBox[annotation.storageIdentity] { return found }
        let index = add(annotation)
        indexOfBox[annotation.storageIdentity] = index
        boxes.append(annotation)
        return index
    }

    @discardableResult
    private mutating func add(_ annotation: FlowAnnotation?) -> Int {
        var row = FragmentRow()
        FlowRowEncoder.encode(annotation, into: &row)
        precondition(row.spans.count == Self.columnCount, "an annotation filled \(row.spans.count) of \(Self.columnCount) columns")
        let base = bytes.count
        var previous = 0
        for span in row.spans {
            starts.append(base + previous)
            lengths.append(span.end - previous)
            elements.append(span.elements)
            previous = span.end
        }
        bytes += row.bytes.bytes
        return starts.count / Self.columnCount - 1
    }

    /// Appends, column by column, the fragment of each row (`rows`) to `columns`.
    func copy(_ rows: [Int], into columns: [NativeBlock.Column]) {
        precondition(columns.count == Self.columnCount)
        bytes.withUnsafeBytes { source in
            starts.withUnsafeBufferPointer { starts in
                lengths.withUnsafeBufferPointer { lengths in
                    elements.withUnsafeBufferPointer { elements in
                        rows.withUnsafeBufferPointer { rows in
                            for (c, column) in columns.enumerated() {
                                var size = 0
                                for f in rows { size += lengths[f * Self.columnCount + c] }
                                column.data.reserve(size)
                                for f in rows {
                                    let slot = f * Self.columnCount + c
                                    column.data.put(source.baseAddress! + starts[slot], lengths[slot])
                                }
                                if column.offsets != nil {
                                    for f in rows { column.endArray(elements[f * Self.columnCount + c]) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One row's values, column after column, with where each column's bytes end and how many
/// elements an array column got (-1 for a scalar): what a fragment is made from.
private struct FragmentRow: ColumnValueSink {
    var bytes = RowBinaryWriter()
    var spans: [(end: Int, elements: Int)] = []

    private mutating func scalar() { spans.append((bytes.bytes.count, -1)) }
    private mutating func array(_ count: Int) { spans.append((bytes.bytes.count, count)) }

    mutating func uint8(_ v: UInt8) { bytes.uint8(v); scalar() }
    mutating func uint16(_ v: UInt16) { bytes.uint16(v); scalar() }
    mutating func uint32(_ v: UInt32) { bytes.uint32(v); scalar() }
    mutating func uint64(_ v: UInt64) { bytes.uint64(v); scalar() }
    mutating func string(_ s: String) { bytes.string(s); scalar() }
    mutating func fixed16(_ address: IPAddress) { bytes.fixed16(address); scalar() }
    mutating func strings(_ values: [String]) {
        for v in values { bytes.string(v) }
        array(values.count)
    }
    mutating func int32s(_ values: [Int32]) {
        for v in values { bytes.int32(v) }
        array(values.count)
    }
    mutating func enum8s(_ values: [UInt8]) {
        bytes.bytes.append(contentsOf: values)
        array(values.count)
    }
}
