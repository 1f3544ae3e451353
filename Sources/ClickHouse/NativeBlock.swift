import FlowCore

/// ClickHouse's Native format as an HTTP INSERT body: one block, column after column. The
/// server ingests it faster than RowBinary because it copies whole columns instead of parsing
/// row by row (Benchmarks/README.md, ClickHouse). Without the TCP protocol's block info, which
/// HTTP bodies do not carry:
///
/// ```text
/// block       LEB128 column count, LEB128 row count, then each column:
/// column      String name, String type (as in the DDL), then its values for every row
/// UInt8…64    row after row, little-endian, 1/2/4/8 bytes; Enum8 as its Int8
/// String      per row a LEB128 byte length, then the bytes
/// FixedString(16)   16 bytes per row
/// Array(T)    per row the UInt64 (little-endian) count of elements up to and including that
///             row's, then every row's elements together, encoded as a column of T
/// ```
///
/// Filled one row at a time through `ColumnValueSink`: each call fills the next column.
struct NativeBlock: ColumnValueSink {
    struct Column {
        var data = RowBinaryWriter()
        /// Array columns only: the running element counts, 8 bytes per row.
        var offsets = RowBinaryWriter()
        var elements: UInt64 = 0
    }

    private(set) var columns: [Column]
    private(set) var rows = 0
    private var cursor = 0

    init(columnCount: Int) { columns = Array(repeating: Column(), count: columnCount) }

    /// After a row's last column.
    mutating func endRow() {
        precondition(cursor == columns.count, "a Native row filled \(cursor) of \(columns.count) columns")
        cursor = 0
        rows += 1
    }

    mutating func uint8(_ v: UInt8) { columns[cursor].data.uint8(v); cursor += 1 }
    mutating func uint16(_ v: UInt16) { columns[cursor].data.uint16(v); cursor += 1 }
    mutating func uint32(_ v: UInt32) { columns[cursor].data.uint32(v); cursor += 1 }
    mutating func uint64(_ v: UInt64) { columns[cursor].data.uint64(v); cursor += 1 }
    mutating func string(_ s: String) { columns[cursor].data.string(s); cursor += 1 }
    mutating func fixed16(_ address: IPAddress) { columns[cursor].data.fixed16(address); cursor += 1 }

    mutating func strings(_ values: [String]) {
        for v in values { columns[cursor].data.string(v) }
        endArray(values.count)
    }

    mutating func int32s(_ values: [Int32]) {
        for v in values { columns[cursor].data.int32(v) }
        endArray(values.count)
    }

    mutating func enum8s(_ values: [UInt8]) {
        columns[cursor].data.bytes.append(contentsOf: values)
        endArray(values.count)
    }

    private mutating func endArray(_ count: Int) {
        columns[cursor].elements += UInt64(count)
        columns[cursor].offsets.uint64(columns[cursor].elements)
        cursor += 1
    }

    /// One row's values of a run of columns, kept to be appended again (`append(_:)`): the
    /// annotation's columns, the same for every flow decided alike. One buffer and a span per
    /// column, so appending it touches no reference counts.
    struct Fragment {
        var bytes: [UInt8] = []
        /// Per column: where its bytes end in `bytes`, and its element count (arrays), or -1
        /// for a scalar column.
        var spans: [(end: Int, elements: Int)] = []
    }

    /// The single row of a block filled for it, as a fragment.
    var fragment: Fragment {
        var f = Fragment()
        for column in columns {
            f.bytes += column.data.bytes
            f.spans.append((f.bytes.count, column.offsets.bytes.isEmpty ? -1 : Int(column.elements)))
        }
        return f
    }

    /// Fills the next `fragment.spans.count` columns with the fragment's values.
    mutating func append(_ fragment: Fragment) {
        fragment.bytes.withUnsafeBufferPointer { bytes in
            fragment.spans.withUnsafeBufferPointer { spans in
                var start = 0
                for span in spans {
                    columns[cursor].data.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<span.end]))
                    if span.elements >= 0 {
                        columns[cursor].elements += UInt64(span.elements)
                        columns[cursor].offsets.uint64(columns[cursor].elements)
                    }
                    start = span.end
                    cursor += 1
                }
            }
        }
    }

    /// The block as an INSERT body, its columns named and typed.
    func encoded(names: [String], types: [String]) -> [UInt8] {
        precondition(names.count == columns.count && types.count == columns.count && cursor == 0)
        var out = RowBinaryWriter(capacity: columns.reduce(64) { $0 + $1.data.bytes.count + $1.offsets.bytes.count + 128 })
        out.varint(columns.count)
        out.varint(rows)
        for (i, column) in columns.enumerated() {
            out.string(names[i])
            out.string(types[i])
            out.append(column.offsets.bytes)
            out.append(column.data.bytes)
        }
        return out.bytes
    }
}
