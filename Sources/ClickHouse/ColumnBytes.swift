/// The bytes of one Native column as they are filled: a growable buffer written through a raw
/// pointer. The encoder reserves room for a block's worth of values once and then stores each
/// value directly, with no per-value capacity check or uniqueness test (appending to a
/// `[UInt8]` value by value was most of the exporter's encoding time). A reference type, so a
/// block can hold a pointer into each of its columns at once; owned by one batch on one thread.
final class ColumnBytes {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = max(capacity, 64)
        base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { base.deallocate() }

    /// Makes room for `extra` more bytes, so that that many bytes of `put…` need no check.
    @inline(__always) func reserve(_ extra: Int) {
        if extra > capacity - count { grow(to: count + extra) }
    }

    private func grow(to needed: Int) {
        var next = capacity * 2
        while next < needed { next *= 2 }
        let moved = UnsafeMutableRawPointer.allocate(byteCount: next, alignment: 16)
        moved.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = moved
        capacity = next
    }

    /// Stores a little-endian integer; the room must have been reserved.
    @inline(__always) func put<T: FixedWidthInteger>(_ value: T) {
        (base + count).storeBytes(of: value.littleEndian, as: T.self)
        count += MemoryLayout<T>.size
    }

    /// Stores a 64-bit word most significant byte first (addresses in `FixedString(16)`).
    @inline(__always) func putBigEndian(_ value: UInt64) {
        (base + count).storeBytes(of: value.bigEndian, as: UInt64.self)
        count += 8
    }

    /// Stores `length` bytes from `source`; the room must have been reserved.
    @inline(__always) func put(_ source: UnsafeRawPointer, _ length: Int) {
        if length == 1 {
            (base + count).storeBytes(of: source.load(as: UInt8.self), as: UInt8.self)
        } else if length > 0 {
            (base + count).copyMemory(from: source, byteCount: length)
        }
        count += length
    }

    /// Appends `length` bytes from `source`, making room first.
    @inline(__always) func append(_ source: UnsafeRawPointer, _ length: Int) {
        reserve(length)
        put(source, length)
    }

    /// Appends a String value: LEB128 byte length, then the bytes.
    func appendString(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            reserve(utf8.count + 10)
            var n = UInt64(utf8.count)
            while n >= 0x80 {
                put(UInt8(truncatingIfNeeded: n) | 0x80)
                n >>= 7
            }
            put(UInt8(n))
            if let start = utf8.baseAddress { put(UnsafeRawPointer(start), utf8.count) }
        }
    }

    /// The bytes written so far.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
