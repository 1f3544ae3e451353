import FlowCore

/// Writes classic pcap files byte for byte, in either byte order and timestamp precision,
/// so tests and sample generators can make captures libpcap must then read back.
public struct PcapWriter {
    public enum Precision: Sendable { case microseconds, nanoseconds }

    public let linkType: UInt32
    public let precision: Precision
    public let bigEndian: Bool
    public let snaplen: UInt32
    public private(set) var bytes: [UInt8] = []

    /// Common DLT/LINKTYPE values.
    public static let ethernet: UInt32 = 1
    public static let null: UInt32 = 0          // BSD loopback, host byte order family
    public static let loop: UInt32 = 108        // OpenBSD loopback, network byte order family
    public static let raw: UInt32 = 101         // LINKTYPE_RAW: IPv4 or IPv6 by version nibble
    public static let ipv4: UInt32 = 228
    public static let ipv6: UInt32 = 229
    public static let linuxSLL: UInt32 = 113
    public static let linuxSLL2: UInt32 = 276

    public init(linkType: UInt32 = PcapWriter.ethernet, precision: Precision = .microseconds,
                bigEndian: Bool = false, snaplen: UInt32 = 262_144) {
        self.linkType = linkType
        self.precision = precision
        self.bigEndian = bigEndian
        self.snaplen = snaplen
        put32(precision == .microseconds ? 0xA1B2_C3D4 : 0xA1B2_3C4D)
        put16(2)
        put16(4)
        put32(0)  // thiszone
        put32(0)  // sigfigs
        put32(snaplen)
        put32(linkType)
    }

    /// Appends one record; frames longer than the snaplen (or `capturedLength`) are cut,
    /// keeping the original length as the wire length.
    public mutating func append(_ frame: [UInt8], at time: Timestamp, capturedLength: Int? = nil, wireLength: Int? = nil) {
        let caplen = min(capturedLength ?? frame.count, frame.count, Int(snaplen))
        put32(UInt32(time.seconds))
        let fraction = time.nanoseconds % 1_000_000_000
        put32(UInt32(precision == .microseconds ? fraction / 1000 : fraction))
        put32(UInt32(caplen))
        put32(UInt32(wireLength ?? frame.count))
        bytes.append(contentsOf: frame[0..<caplen])
    }

    /// Writes the file (replacing it).
    public func write(to path: String) throws {
        try writeFile(path, bytes)
    }

    private mutating func put16(_ v: UInt16) {
        if bigEndian { bytes += [UInt8(v >> 8), UInt8(v & 0xFF)] } else { bytes += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    }

    private mutating func put32(_ v: UInt32) {
        let b = [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
        bytes += bigEndian ? b.reversed() : b
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes bytes to a file with plain POSIX calls (no Foundation needed by test helpers).
public func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else {
        throw FlowlogError(.io, String(cString: strerror(errno)), location: .init(file: path), call: "open")
    }
    defer { close(fd) }
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FlowlogError(.io, String(cString: strerror(errno)), location: .init(file: path, offset: UInt64(offset)), call: "write")
        }
        offset += n
    }
}
