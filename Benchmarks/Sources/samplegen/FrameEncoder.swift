import FlowCore

/// Builds one Ethernet frame at a time in a reusable buffer, with correct IPv4 header and
/// TCP/UDP/ICMP/ICMPv6 checksums, and no allocation per packet.
final class FrameEncoder {
    /// Both ends of the packet as it travels (source first).
    struct Hop {
        var sourceMAC: UInt64
        var destinationMAC: UInt64
        var source: IPAddress
        var destination: IPAddress
        var ttl: UInt8
        var identification: UInt16
    }

    static let maximumFrame = 1514
    let frame: UnsafeMutableRawPointer
    private let payloadBytes: UnsafeMutableRawPointer
    private let textBytes: UnsafeMutableRawPointer
    private static let patternLength = 4096

    /// `seed` decides the bytes that stand in for encrypted payloads.
    init(seed: UInt64) {
        frame = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
        payloadBytes = UnsafeMutableRawPointer.allocate(byteCount: Self.patternLength * 2, alignment: 16)
        textBytes = UnsafeMutableRawPointer.allocate(byteCount: Self.patternLength * 2, alignment: 16)
        var random = SeededRandom(seed: seed ^ 0x5EED_F00D)
        for i in 0..<(Self.patternLength * 2) { payloadBytes.storeBytes(of: UInt8(truncatingIfNeeded: random.next()), toByteOffset: i, as: UInt8.self) }
        let text = Array("{\"id\":1842,\"sku\":\"A-7741\",\"name\":\"Rain jacket\",\"price\":89.90,\"stock\":12,\"tags\":[\"outdoor\",\"sale\"]},".utf8)
        for i in 0..<(Self.patternLength * 2) { textBytes.storeBytes(of: text[i % text.count], toByteOffset: i, as: UInt8.self) }
    }

    deinit {
        frame.deallocate()
        payloadBytes.deallocate()
        textBytes.deallocate()
    }

    // MARK: Layers

    /// Ethernet and IP headers for an L4 segment of `l4Length` bytes; returns the L4 offset.
    @inline(__always)
    func writeHeaders(_ hop: Hop, protocol proto: UInt8, l4Length: Int) -> Int {
        put48(0, hop.destinationMAC)
        put48(6, hop.sourceMAC)
        if hop.source.version == .v4 {
            put16(12, 0x0800)
            frame.storeBytes(of: 0x45, toByteOffset: 14, as: UInt8.self)
            frame.storeBytes(of: 0, toByteOffset: 15, as: UInt8.self)
            put16(16, UInt16(20 + l4Length))
            put16(18, hop.identification)
            put16(20, proto == 6 ? 0x4000 : 0)  // DF on TCP, as Linux sets it
            frame.storeBytes(of: hop.ttl, toByteOffset: 22, as: UInt8.self)
            frame.storeBytes(of: proto, toByteOffset: 23, as: UInt8.self)
            put16(24, 0)
            put32(26, hop.source.ipv4Value!)
            put32(30, hop.destination.ipv4Value!)
            put16(24, Self.fold(sum(14, 20)))
            return 34
        }
        put16(12, 0x86DD)
        put32(14, 0x6000_0000)
        put16(18, UInt16(l4Length))
        frame.storeBytes(of: proto, toByteOffset: 20, as: UInt8.self)
        frame.storeBytes(of: hop.ttl, toByteOffset: 21, as: UInt8.self)
        put64(22, hop.source.high)
        put64(30, hop.source.low)
        put64(38, hop.destination.high)
        put64(46, hop.destination.low)
        return 54
    }

    /// Fills in the transport checksum (`checksumOffset` inside the L4 header) and pads the
    /// frame to the Ethernet minimum; returns the frame length.
    @inline(__always)
    func finish(_ hop: Hop, protocol proto: UInt8, l4Offset: Int, l4Length: Int, checksumOffset: Int) -> Int {
        var total: UInt64 = 0
        if proto != 1 {  // ICMPv4 has no pseudo-header
            total = hop.source.version == .v4 ? sum(26, 8) : sum(22, 32)
            total += UInt64(proto) + UInt64(l4Length)
        }
        put16(l4Offset + checksumOffset, 0)
        total += sum(l4Offset, l4Length)
        var checksum = Self.fold(total)
        if proto == 17 && checksum == 0 { checksum = 0xFFFF }
        put16(l4Offset + checksumOffset, checksum)
        var length = l4Offset + l4Length
        if length < 60 {
            (frame + length).initializeMemory(as: UInt8.self, repeating: 0, count: 60 - length)
            length = 60
        }
        return length
    }

    // MARK: Payload

    /// Copies `count` stand-in payload bytes to `offset`: readable text for plain-text
    /// protocols, random-looking bytes for TLS, starting at a position chosen by `salt`.
    @inline(__always)
    func fillPayload(at offset: Int, count: Int, text: Bool, salt: UInt32) {
        guard count > 0 else { return }
        let source = (text ? textBytes : payloadBytes) + Int(salt % UInt32(Self.patternLength))
        (frame + offset).copyMemory(from: source, byteCount: min(count, Self.patternLength))
    }

    /// Writes `bytes` at `offset` (a protocol's first bytes: a request line, a TLS record header).
    @inline(__always)
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int, limit: Int) -> Int {
        let n = min(bytes.count, limit)
        if n > 0 { (frame + offset).copyMemory(from: bytes.baseAddress!, byteCount: n) }
        return n
    }

    // MARK: Bytes

    @inline(__always) func put8(_ offset: Int, _ v: UInt8) { frame.storeBytes(of: v, toByteOffset: offset, as: UInt8.self) }
    @inline(__always) func put16(_ offset: Int, _ v: UInt16) { frame.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt16.self) }
    @inline(__always) func put32(_ offset: Int, _ v: UInt32) { frame.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self) }
    @inline(__always) func put64(_ offset: Int, _ v: UInt64) { frame.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt64.self) }
    @inline(__always) func put48(_ offset: Int, _ v: UInt64) {
        put16(offset, UInt16(truncatingIfNeeded: v >> 32))
        put32(offset + 2, UInt32(truncatingIfNeeded: v))
    }

    /// One's-complement sum of big-endian 16-bit words, unfolded.
    @inline(__always)
    func sum(_ offset: Int, _ count: Int) -> UInt64 {
        var total: UInt64 = 0
        var i = 0
        let p = frame + offset
        while i + 1 < count {
            total &+= UInt64(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: i, as: UInt16.self)))
            i += 2
        }
        if i < count { total &+= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << 8 }
        return total
    }

    @inline(__always)
    static func fold(_ value: UInt64) -> UInt16 {
        var v = value
        while v >> 16 != 0 { v = (v & 0xFFFF) + (v >> 16) }
        return ~UInt16(v)
    }
}
