import NIOCore

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
/// Filled column by column (`NativeFlowEncoder`); one block per INSERT, owned by one batch.
final class NativeBlock {
    final class Column {
        /// The values (an array column: its elements, all rows' together).
        let data = ColumnBytes()
        /// Array columns only: the running element counts, 8 bytes per row.
        let offsets: ColumnBytes?
        var elements: UInt64 = 0

        init(isArray: Bool) { offsets = isArray ? ColumnBytes() : nil }

        /// Ends a row of an array column that got `count` more elements.
        @inline(__always) func endArray(_ count: Int) {
            elements += UInt64(count)
            offsets!.reserve(8)
            offsets!.put(elements)
        }
    }

    let columns: [Column]
    private(set) var rows = 0

    /// A column per type, in INSERT order.
    init(types: [String]) {
        columns = types.map { Column(isArray: $0.hasPrefix("Array(")) }
    }

    /// Counts rows once every column holds their values.
    func rowsAdded(_ count: Int) { rows += count }

    /// The block as an INSERT body, its columns named and typed.
    func encoded(names: [String], types: [String]) -> ByteBuffer {
        precondition(names.count == columns.count && types.count == columns.count)
        let size = columns.reduce(64) { $0 + $1.data.count + ($1.offsets?.count ?? 0) + 128 }
        var out = ByteBufferAllocator().buffer(capacity: size)
        func varint(_ value: Int) {
            var v = UInt64(value)
            while v >= 0x80 {
                out.writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
                v >>= 7
            }
            out.writeInteger(UInt8(v))
        }
        func string(_ s: String) {
            varint(s.utf8.count)
            out.writeString(s)
        }
        varint(columns.count)
        varint(rows)
        for (i, column) in columns.enumerated() {
            string(names[i])
            string(types[i])
            if let offsets = column.offsets { out.writeBytes(offsets.bytes) }
            out.writeBytes(column.data.bytes)
        }
        return out
    }
}
