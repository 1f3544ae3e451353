#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore

/// A reusable byte buffer that output formats write into and that drains to a file descriptor
/// in large writes, so formatting a record costs appends, not `String` building.
///
/// The bytes live in one manually managed allocation: an append is a capacity check and a
/// store, without the uniqueness check an `Array` append makes. The allocation belongs to a
/// private object, so a copy of the buffer would share it; pass buffers `inout`, never copy one.
public struct OutputBuffer {
    /// Where full buffers go: a descriptor (standard output), or nowhere, keeping the bytes
    /// (for tests and for table cells).
    public enum Target: Sendable {
        case fileDescriptor(Int32)
        case memory
    }

    private final class Allocation {
        var base: UnsafeMutablePointer<UInt8>
        init(capacity: Int) { base = .allocate(capacity: capacity) }
        deinit { base.deallocate() }
    }

    private let allocation: Allocation
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    public private(set) var count = 0
    let target: Target
    private static let flushThreshold = 1 << 16

    public init(target: Target) {
        self.target = target
        capacity = Self.flushThreshold + 4096
        allocation = Allocation(capacity: capacity)
        base = allocation.base
    }

    /// Everything written and not yet flushed.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// The same, as text (memory targets).
    public var text: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }

    /// The bytes from `start` to the end, valid until the next append.
    func written(from start: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + start, count: count - start)
    }

    private mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(to: count + n) }
    }

    private mutating func grow(to needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        fresh.initialize(from: base, count: count)
        allocation.base.deallocate()
        allocation.base = fresh
        base = fresh
        capacity = newCapacity
    }

    mutating func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count)
        count = newCount
    }

    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    mutating func append(_ buffer: UnsafeBufferPointer<UInt8>) {
        guard let source = buffer.baseAddress, buffer.count > 0 else { return }
        reserve(buffer.count)
        (base + count).update(from: source, count: buffer.count)
        count += buffer.count
    }

    mutating func append(ascii: StaticString) {
        ascii.withUTF8Buffer { append($0) }
    }

    mutating func append(_ text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ append($0) }) == nil {
            for b in text.utf8 { append(b) }
        }
    }

    mutating func append(bytesOf other: [UInt8]) {
        other.withUnsafeBufferPointer { append($0) }
    }

    mutating func append(bytesOf other: Substring.UTF8View) {
        var copy = Substring(other)
        copy.withUTF8 { append($0) }
    }

    mutating func append(decimal value: UInt64) {
        reserve(20)
        if value < 10 { base[count] = 48 &+ UInt8(value); count += 1; return }
        var digits = 0
        var n = value
        while n > 0 { digits += 1; n /= 10 }
        n = value
        var i = count + digits - 1
        while n > 0 {
            base[i] = 48 &+ UInt8(n % 10)
            n /= 10
            i -= 1
        }
        count += digits
    }

    mutating func append(signed value: Int) {
        if value < 0 { append(UInt8(ascii: "-")); append(decimal: value.magnitude.toUInt64) } else { append(decimal: UInt64(value)) }
    }

    /// Fixed-width zero-padded decimal.
    mutating func append(padded value: UInt64, width: Int) {
        reserve(width)
        var v = value
        var i = count + width - 1
        while i >= count {
            base[i] = 48 &+ UInt8(v % 10)
            v /= 10
            i -= 1
        }
        count += width
    }

    /// Dotted quad for IPv4 without going through `String`; the standard text form otherwise.
    mutating func append(address: IPAddress) {
        guard let v4 = address.ipv4Value else { append(address.description); return }
        append(decimal: UInt64(v4 >> 24)); append(UInt8(ascii: "."))
        append(decimal: UInt64((v4 >> 16) & 0xFF)); append(UInt8(ascii: "."))
        append(decimal: UInt64((v4 >> 8) & 0xFF)); append(UInt8(ascii: "."))
        append(decimal: UInt64(v4 & 0xFF))
    }

    /// Writes out when the buffer is large; call after each record.
    mutating func flushIfFull() throws {
        if count >= Self.flushThreshold { try flush() }
    }

    public mutating func flush() throws {
        guard case .fileDescriptor(let fd) = target, count > 0 else { return }
        var offset = 0
        while offset < count {
            let n = write(fd, base + offset, count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                // A closed pipe (`| head`) ends the output; it is not an error to report.
                if errno == EPIPE { throw OutputBuffer.closedPipe }
                throw FlowlogError(.io, String(cString: strerror(errno)), call: "write")
            }
            offset += n
        }
        count = 0
    }

    /// Thrown by `flush` when the reader went away; callers stop quietly.
    public static let closedPipe = FlowlogError(.io, "output closed by the reader", call: "write")
}

extension UInt {
    fileprivate var toUInt64: UInt64 { UInt64(self) }
}
