import FlowCore

/// ClickHouse's RowBinary encoding, the parts flowlog uses. Values follow one another with no
/// framing; a row is its columns in the order the INSERT or SELECT names them:
///
/// ```text
/// UInt8/16/32/64, Int32    little-endian, 1/2/4/8/4 bytes
/// Enum8                    its Int8 value, 1 byte
/// String                   unsigned LEB128 byte length, then the bytes (no terminator)
/// FixedString(16)          exactly 16 bytes
/// Array(T)                 unsigned LEB128 element count, then the elements
/// ```
struct RowBinaryWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    @inline(__always) mutating func uint8(_ v: UInt8) { bytes.append(v) }

    @inline(__always) mutating func uint16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    }

    @inline(__always) mutating func uint32(_ v: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    @inline(__always) mutating func uint64(_ v: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    @inline(__always) mutating func int32(_ v: Int32) { uint32(UInt32(bitPattern: v)) }

    @inline(__always) mutating func varint(_ value: Int) {
        var v = UInt64(value)
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always) mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            varint(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func fixed16(_ address: IPAddress) {
        for word in [address.high, address.low] {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
    }

    mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }
}

/// Reads RowBinary produced by a server. Every read checks bounds and lengths: a short or
/// hostile response is an error naming the byte offset, never a crash.
struct RowBinaryReader {
    private let bytes: [UInt8]
    private(set) var offset = 0
    /// Longest string or array accepted (a response larger than this is not a flow row).
    static let maximumLength = 16 << 20

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset >= bytes.count }

    private func short(_ what: String) -> FlowlogError {
        FlowlogError(.corrupt, "ClickHouse response ends inside \(what)", location: .init(offset: UInt64(offset), field: "RowBinary"))
    }

    mutating func uint8() throws -> UInt8 {
        guard offset < bytes.count else { throw short("a UInt8") }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func little(_ width: Int, _ what: String) throws -> UInt64 {
        guard bytes.count - offset >= width else { throw short(what) }
        var v: UInt64 = 0
        for i in 0..<width { v |= UInt64(bytes[offset + i]) << UInt64(8 * i) }
        offset += width
        return v
    }

    mutating func uint16() throws -> UInt16 { UInt16(truncatingIfNeeded: try little(2, "a UInt16")) }
    mutating func uint32() throws -> UInt32 { UInt32(truncatingIfNeeded: try little(4, "a UInt32")) }
    mutating func uint64() throws -> UInt64 { try little(8, "a UInt64") }
    mutating func int32() throws -> Int32 { Int32(bitPattern: try uint32()) }

    mutating func length() throws -> Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try uint8()
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
            guard shift < 64 else {
                throw FlowlogError(.corrupt, "length prefix longer than 10 bytes", location: .init(offset: UInt64(offset), field: "RowBinary"))
            }
        }
        guard value <= UInt64(Self.maximumLength) else {
            throw FlowlogError(.corrupt, "length \(value) exceeds the limit of \(Self.maximumLength)",
                               location: .init(offset: UInt64(offset), field: "RowBinary"))
        }
        return Int(value)
    }

    mutating func string() throws -> String {
        let n = try length()
        guard bytes.count - offset >= n else { throw short("a String") }
        defer { offset += n }
        return String(decoding: bytes[offset..<(offset + n)], as: UTF8.self)
    }

    mutating func rewind(to position: Int) { offset = position }

    /// Moves past `count` bytes.
    mutating func skip(_ count: Int) throws {
        guard bytes.count - offset >= count else { throw short("a value") }
        offset += count
    }

    /// Moves past a String.
    mutating func skipString() throws { try skip(try length()) }

    /// The bytes from `start` to the current offset.
    func bytes(from start: Int) -> ArraySlice<UInt8> { bytes[start..<offset] }

    mutating func fixed16(version: IPVersion) throws -> IPAddress {
        let high = try bigEndian64(), low = try bigEndian64()
        return version == .v4 ? IPAddress(ipv4: UInt32(truncatingIfNeeded: low)) : IPAddress(ipv6High: high, low: low)
    }

    private mutating func bigEndian64() throws -> UInt64 {
        guard bytes.count - offset >= 8 else { throw short("a FixedString(16)") }
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return v
    }
}
