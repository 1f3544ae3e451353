#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore

/// A reusable byte buffer that output formats write into and that drains to a file descriptor
/// in large writes, so formatting a record costs appends, not `String` building.
public struct OutputBuffer {
    /// Where full buffers go: a descriptor (standard output), or nowhere, keeping the bytes
    /// (for tests and for table cells).
    public enum Target: Sendable {
        case fileDescriptor(Int32)
        case memory
    }

    public private(set) var bytes: [UInt8] = []
    let target: Target
    private let flushThreshold = 1 << 16

    public init(target: Target) {
        self.target = target
        bytes.reserveCapacity(flushThreshold + 4096)
    }

    /// Everything written so far, as text (memory targets).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func append(_ byte: UInt8) { bytes.append(byte) }

    mutating func append(ascii: StaticString) {
        ascii.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil {
            bytes.append(contentsOf: text.utf8)
        }
    }

    mutating func append<C: Collection>(bytesOf other: C) where C.Element == UInt8 { bytes.append(contentsOf: other) }

    mutating func append(decimal value: UInt64) {
        if value < 10 { bytes.append(48 &+ UInt8(value)); return }
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 20 digits max, packed on the stack
        var n = value
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            while n > 0 {
                raw[count] = 48 &+ UInt8(n % 10)
                n /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { bytes.append(raw[i]) }
        }
    }

    mutating func append(signed value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")); append(decimal: UInt64(-value)) } else { append(decimal: UInt64(value)) }
    }

    /// Fixed-width zero-padded decimal.
    mutating func append(padded value: UInt64, width: Int) {
        var divisor: UInt64 = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        while divisor > 0 {
            bytes.append(48 &+ UInt8(v / divisor % 10))
            v %= divisor
            divisor /= 10
        }
    }

    /// Dotted quad for IPv4 without going through `String`; the standard text form otherwise.
    mutating func append(address: IPAddress) {
        guard let v4 = address.ipv4Value else { append(address.description); return }
        append(decimal: UInt64(v4 >> 24)); bytes.append(UInt8(ascii: "."))
        append(decimal: UInt64((v4 >> 16) & 0xFF)); bytes.append(UInt8(ascii: "."))
        append(decimal: UInt64((v4 >> 8) & 0xFF)); bytes.append(UInt8(ascii: "."))
        append(decimal: UInt64(v4 & 0xFF))
    }

    /// Writes out when the buffer is large; call after each record.
    mutating func flushIfFull() throws {
        if bytes.count >= flushThreshold { try flush() }
    }

    public mutating func flush() throws {
        guard case .fileDescriptor(let fd) = target, !bytes.isEmpty else { return }
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    // A closed pipe (`| head`) ends the output; it is not an error to report.
                    if errno == EPIPE { throw OutputBuffer.closedPipe }
                    throw FlowlogError(.io, String(cString: strerror(errno)), call: "write")
                }
                offset += n
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }

    /// Thrown by `flush` when the reader went away; callers stop quietly.
    public static let closedPipe = FlowlogError(.io, "output closed by the reader", call: "write")
}

extension OutputBuffer {
    mutating func truncate(to count: Int) { bytes.removeSubrange(count...) }
}
