import FlowCore

/// Where the flow encoders put a row: one call per column, in `FlowColumn` order. RowBinary
/// writes each value where it stands in the row; a Native annotation fragment notes where each
/// column's bytes end. The encoders (`FlowRowEncoder`) are generic over it, so each gets its
/// own specialised copy and what goes into which annotation column is written down once.
protocol ColumnValueSink {
    mutating func uint8(_ v: UInt8)
    mutating func uint16(_ v: UInt16)
    mutating func uint32(_ v: UInt32)
    mutating func uint64(_ v: UInt64)
    mutating func string(_ s: String)
    mutating func fixed16(_ address: IPAddress)
    /// `Array(String)`.
    mutating func strings(_ values: [String])
    /// `Array(Int32)`.
    mutating func int32s(_ values: [Int32])
    /// `Array(Enum8(…))`: each value's Int8.
    mutating func enum8s(_ values: [UInt8])
}

extension RowBinaryWriter: ColumnValueSink {
    mutating func strings(_ values: [String]) {
        varint(values.count)
        for v in values { string(v) }
    }

    mutating func int32s(_ values: [Int32]) {
        varint(values.count)
        for v in values { int32(v) }
    }

    mutating func enum8s(_ values: [UInt8]) {
        varint(values.count)
        bytes.append(contentsOf: values)
    }
}
