@testable import ClickHouse
import FlowCore
import FlowTestSupport
import NIOCore
import SegmentStore
import Testing

/// The column-by-column Native encoder against the row-by-row RowBinary one: the same flows,
/// RowBinary rows transposed into columns here by the column types, must give the same bytes.
@Suite struct NativeEncodingTests {
    @Test func nativeColumnsAreTheRowBinaryRowsTransposed() throws {
        var generator = SyntheticFlowGenerator(seed: 11, pods: 60, namespaces: 6)
        let names = [DomainNames(["api.example.com"]), .none, DomainNames(["www.example.org", "edge.cdn.example.net"])]
        var flows = generator.generate(3000).enumerated().map { i, flow in
            var f = flow
            f.destinationDomains = names[i % names.count]
            if i % 7 == 3 { f.node = "node-\(i % 3)" }
            return f
        }
        flows[5].annotation = nil
        let storeID = String(repeating: "5e", count: 16)
        let types = FlowColumn.allCases.map(\.type), columnNames = FlowColumn.allCases.map(\.rawValue)
        // Two blocks, every other row of the first chosen (as a filter or a day cut would).
        let chosen: [(BlockPosition, [Int32])] = [
            (BlockPosition(segment: 3, block: 1), stride(from: 0, to: 2000, by: 2).map { Int32($0) }),
            (BlockPosition(segment: 4, block: 0), (0..<1000).map { Int32($0) }),
        ]
        let blocks = [Array(flows[0..<2000]), Array(flows[2000...])]
        let native = NativeBlock(types: types)
        var encoder = NativeFlowEncoder(storeID: storeID)
        var rowEncoder = FlowRowEncoder(storeID: storeID)
        var rows = RowBinaryWriter()
        for ((position, selected), block) in zip(chosen, blocks) {
            encoder.append(block, rows: selected, at: position, into: native)
            for r in selected { rowEncoder.append(block[Int(r)], at: position, row: UInt32(r), into: &rows) }
        }
        var body = native.encoded(names: columnNames, types: types)
        let encoded = body.readBytes(length: body.readableBytes)!
        let expected = try Self.transpose(rows.bytes, rowCount: 2000, names: columnNames, types: types)
        #expect(encoded.count == expected.count)
        #expect(encoded == expected)
    }

    /// RowBinary rows to a Native block, reading each value by its column's type.
    static func transpose(_ bytes: [UInt8], rowCount: Int, names: [String], types: [String]) throws -> [UInt8] {
        var data = Array(repeating: [UInt8](), count: types.count)
        var offsets = Array(repeating: [UInt8](), count: types.count)
        var elements = Array(repeating: UInt64(0), count: types.count)
        var reader = RowBinaryReader(bytes)
        func value(_ type: String, into out: inout [UInt8]) throws {
            let start = reader.offset
            switch type {
            case "UInt8": try reader.skip(1)
            case "UInt16": try reader.skip(2)
            case "UInt32", "Int32": try reader.skip(4)
            case "UInt64": try reader.skip(8)
            case "FixedString(16)": try reader.skip(16)
            case "String": try reader.skipString()
            default:
                guard type.hasPrefix("Enum8(") else { throw FlowlogError(.invalidArgument, "type \(type)") }
                try reader.skip(1)
            }
            out += reader.bytes(from: start)
        }
        for _ in 0..<rowCount {
            for (c, type) in types.enumerated() {
                if type.hasPrefix("Array(") {
                    let count = try reader.length()
                    for _ in 0..<count { try value(String(type.dropFirst(6).dropLast()), into: &data[c]) }
                    elements[c] += UInt64(count)
                    withUnsafeBytes(of: elements[c].littleEndian) { offsets[c] += $0 }
                } else {
                    try value(type, into: &data[c])
                }
            }
        }
        #expect(reader.isAtEnd)
        var out = RowBinaryWriter()
        out.varint(types.count)
        out.varint(rowCount)
        for c in types.indices {
            out.string(names[c])
            out.string(types[c])
            out.append(offsets[c])
            out.append(data[c])
        }
        return out.bytes
    }
}
