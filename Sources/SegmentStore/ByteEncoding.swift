/// Little-endian and LEB128 varint encoding into a growable byte array, and the bounds-checked
/// reading cursor that undoes it. Every on-disk integer of the store goes through these two.
struct ByteSink {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    @inline(__always) mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    }

    mutating func u32(_ v: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    mutating func u64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Unsigned LEB128: seven bits per byte, high bit set on all but the last.
    @inline(__always) mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always) mutating func varint(_ value: Int) { varint(UInt64(value)) }

    /// Zigzag keeps small negative deltas small: 0, -1, 1, -2 → 0, 1, 2, 3.
    @inline(__always) mutating func signed(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func string(_ s: String) {
        var copy = s
        copy.withUTF8 { utf8 in
            varint(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    /// Overwrites a fixed-width field written earlier (sizes and CRCs known only later).
    mutating func patchU32(at offset: Int, _ v: UInt32) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> UInt32(8 * i)) }
    }
}

/// Reads what `ByteSink` wrote from borrowed memory; every read checks the bounds and throws
/// `ByteCursor.Overrun` instead of trapping, so corrupt input becomes an error, not a crash.
struct ByteCursor {
    struct Overrun: Error { var position: Int }

    let base: UnsafeRawBufferPointer
    var position: Int
    let end: Int

    init(_ base: UnsafeRawBufferPointer, from start: Int = 0, to end: Int? = nil) {
        self.base = base
        self.position = start
        self.end = min(end ?? base.count, base.count)
    }

    var remaining: Int { end - position }
    var isAtEnd: Bool { position >= end }

    @inline(__always) mutating func u8() throws -> UInt8 {
        guard position < end else { throw Overrun(position: position) }
        defer { position += 1 }
        return base[position]
    }

    @inline(__always) mutating func u16() throws -> UInt16 {
        guard end - position >= 2 else { throw Overrun(position: position) }
        defer { position += 2 }
        return UInt16(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt16.self))
    }

    @inline(__always) mutating func u32() throws -> UInt32 {
        guard end - position >= 4 else { throw Overrun(position: position) }
        defer { position += 4 }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    @inline(__always) mutating func u64() throws -> UInt64 {
        guard end - position >= 8 else { throw Overrun(position: position) }
        defer { position += 8 }
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    @inline(__always) mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end, shift < 64 else { throw Overrun(position: position) }
            let byte = base[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    /// A varint used as a table index or count: must be below `limit`.
    @inline(__always) mutating func index(below limit: Int) throws -> Int {
        let v = try varint()
        guard v < UInt64(limit) else { throw Overrun(position: position) }
        return Int(v)
    }

    @inline(__always) mutating func signed() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    mutating func string() throws -> String {
        // The bound is taken after the length is read: the varint itself uses up bytes.
        let length = Int(clamping: try varint())
        guard length <= remaining else { throw Overrun(position: position) }
        defer { position += length }
        return String(decoding: UnsafeRawBufferPointer(rebasing: base[position..<(position + length)]), as: UTF8.self)
    }

    mutating func skip(_ count: Int) throws {
        guard count >= 0, end - position >= count else { throw Overrun(position: position) }
        position += count
    }
}
