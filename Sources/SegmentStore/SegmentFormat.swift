import FlowCore

/// The on-disk format of a store directory, in one place (mirrored in docs/segment-format.md).
///
/// All integers are little-endian; "varint" is unsigned LEB128, "zigzag" a signed varint.
///
/// ```text
/// DIR/
///   MANIFEST                  text index of sealed segments (name, time range, counts, CRC-32C)
///   000000000001.seg          sealed segments: immutable
///   000000000002.seg.open     the open segment (one per writer); renamed to .seg when sealed
///   LOCK                      flock(2)ed by the one writer
///
/// MANIFEST (text, replaced whole by write-temp-then-rename)
///   flowlog-manifest 1
///   <name> <sequence> <blocks> <flows> <bytes> <min start ns> <max end ns> <sealed at ns>   (per sealed segment)
///   crc32c <8 hex digits: CRC-32C of every preceding byte>
///
/// segment file
/// +------------------------------------------------------------------+ offset 0
/// | segment header (32 bytes)                                        |
/// |   0 magic "FLSG"   4 format version u16   6 flags u16 (0)        |
/// |   8 sequence u64   16 created (ns since epoch) u64               |
/// |  24 reserved u32   28 CRC-32C of bytes 0..<28                    |
/// +------------------------------------------------------------------+ 32
/// | block 0                                                          |
/// |   block header (80 bytes)                                        |
/// |     0 magic "FLBK"  4 format version u16  6 codec u8 (1 = LZ4)   |
/// |     7 flags u8 (0)  8 record count u32   12 raw payload size u32 |
/// |    16 stored payload size u32   20 verdict mask u8, 3 reserved   |
/// |    24 min start ns u64   32 max end ns u64                       |
/// |    40 protocol mask 4 × u64 (256-bit set of IP protocols)        |
/// |    72 CRC-32C of the stored payload                              |
/// |    76 CRC-32C of header bytes 0..<76                             |
/// |   stored payload: the raw payload below as one LZ4 block         |
/// +------------------------------------------------------------------+
/// | block 1 … block n-1                                              |
/// +------------------------------------------------------------------+ sealed segments only:
/// | block index: per block                                           |
/// |   offset u64, total length u32 (header + payload),               |
/// |   digest: count u32, min start u64, max end u64, verdict mask u8,|
/// |   protocol mask 4 × u64, bloom hash count u8, bloom words u32,   |
/// |   bloom words × u64                                              |
/// +------------------------------------------------------------------+
/// | footer (56 bytes, at end of file)                                |
/// |   0 magic "FLIX"  4 format version u16  6 reserved u16           |
/// |   8 index offset u64  16 index length u32  20 CRC-32C of index   |
/// |  24 block count u32  28 flow count u64  36 min start u64         |
/// |  44 max end u64  52 CRC-32C of footer bytes 0..<52               |
/// +------------------------------------------------------------------+
///
/// raw payload
///   u8 time unit exponent e (times are stored in units of 10^e ns: 0, 3, 6 or 9)
///   varint record count, varint base end (the first record's end, in units)
///   strings        varint n; n × (varint length, UTF-8 bytes)
///   label sets     varint n; n × (varint pairs; pairs × (varint key string, varint value string))
///   identities     varint n; n × (u8 kind, varint namespace, name, aggregated name [strings],
///                                 varint label set, varint service account [string])
///   traces         varint n; n × (u8 reporter, u8 action, varint hits; hits × (varint index,
///                                 varint tier [string], u8 kind, varint namespace, varint name
///                                 [strings], u8 action, zigzag rule index))
///   annotations    varint n; then field by field, n values each: varint source identity,
///                  varint destination identity, varint service [string], u8 verdict, and
///                  varint trace + 1 (0 = none) for egress, ingress, pending egress, pending ingress
///   addresses      varint n; n × (u8 4 + 4 bytes | u8 6 + 16 bytes), network order
///   conversations  varint n; then field by field, n values each: varint source address,
///                  varint destination address, u16 destination port, u8 protocol,
///                  varint vlan + 1, varint inner vlan + 1 (mod 2^16: "none" is 0),
///                  varint annotation + 1 (0 = none), varint node [string]
///   shapes         varint n; n × u64: TCP flags out | in << 8 | status << 16 | ICMP type << 32
///                  | ICMP code << 40
///   columns        9 × varint byte length, then the columns, one value per record:
///     conversation varint · end zigzag delta from the previous record's end (units) ·
///     duration zigzag end − start (units) · source port u16 · packets out, bytes out,
///     packets in, bytes in varint · shape varint
/// ```
///
/// A record's "conversation" holds everything it shares with other flows of the same client and
/// service (addresses, destination port, protocol, VLANs, annotation, node); `BlockEncoder`
/// explains the choices. Strings, label maps, identities, traces and annotations are numbered
/// per block, so every block decodes on its own.
///
/// An open segment is the same file without index and footer. Each block is self-contained
/// (its own dictionaries, independently compressed, its own checksums), so recovery keeps every
/// block whose header and payload check out and cuts the file after the last one.
enum SegmentFormat {
    /// Bumped on any incompatible change; readers reject files with a larger version.
    static let version: UInt16 = 1

    static let segmentMagic: UInt32 = 0x4753_4C46      // "FLSG" as bytes
    static let blockMagic: UInt32 = 0x4B42_4C46        // "FLBK"
    static let footerMagic: UInt32 = 0x5849_4C46       // "FLIX"

    static let segmentHeaderSize = 32
    static let blockHeaderSize = 80
    static let footerSize = 56

    /// Codec ids (block header byte 6).
    static let codecLZ4: UInt8 = 1

    static let sealedSuffix = ".seg"
    static let openSuffix = ".seg.open"
    static let manifestName = "MANIFEST"
    static let lockName = "LOCK"

    /// `000000000042.seg` for sequence 42.
    static func fileName(sequence: UInt64, open: Bool) -> String {
        let digits = String(sequence)
        let padded = String(repeating: "0", count: max(0, 12 - digits.count)) + digits
        return padded + (open ? openSuffix : sealedSuffix)
    }

    /// The sequence number and state a file name encodes, nil for other files.
    static func parseFileName(_ name: String) -> (sequence: UInt64, open: Bool)? {
        let open: Bool
        let stem: Substring
        if name.hasSuffix(openSuffix) {
            open = true
            stem = name.dropLast(openSuffix.count)
        } else if name.hasSuffix(sealedSuffix) {
            open = false
            stem = name.dropLast(sealedSuffix.count)
        } else {
            return nil
        }
        guard !stem.isEmpty, stem.allSatisfy({ $0.isASCII && $0.isNumber }), let sequence = UInt64(stem) else { return nil }
        return (sequence, open)
    }
}

// MARK: - Segment header

struct SegmentHeader: Equatable {
    var version: UInt16 = SegmentFormat.version
    var sequence: UInt64
    var created: Timestamp

    func encoded() -> [UInt8] {
        var sink = ByteSink(capacity: SegmentFormat.segmentHeaderSize)
        sink.u32(SegmentFormat.segmentMagic)
        sink.u16(version)
        sink.u16(0)
        sink.u64(sequence)
        sink.u64(created.nanoseconds)
        sink.u32(0)
        sink.u32(CRC32C.checksum(sink.bytes))
        return sink.bytes
    }

    /// Parses and checks a header; `file` only labels errors.
    static func decode(_ bytes: UnsafeRawBufferPointer, file: String) throws -> SegmentHeader {
        let location = FlowlogError.Location(file: file, offset: 0, field: "segment header")
        guard bytes.count >= SegmentFormat.segmentHeaderSize else {
            throw FlowlogError(.truncated, "file is shorter than a segment header (\(bytes.count) bytes)", location: location)
        }
        var c = ByteCursor(bytes, to: SegmentFormat.segmentHeaderSize)
        guard try c.u32() == SegmentFormat.segmentMagic else {
            throw FlowlogError(.unsupportedFormat, "not a flowlog segment (bad magic)", location: location)
        }
        let version = try c.u16()
        let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 28, as: UInt32.self))
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<28])) == stored else {
            throw FlowlogError(.corrupt, "segment header checksum mismatch", location: location)
        }
        guard version <= SegmentFormat.version else {
            throw FlowlogError(.newerFormat,
                               "segment format version \(version) is newer than this flowlog understands (\(SegmentFormat.version)); upgrade flowlog",
                               location: location)
        }
        _ = try c.u16()
        let sequence = try c.u64()
        let created = Timestamp(nanoseconds: try c.u64())
        return SegmentHeader(version: version, sequence: sequence, created: created)
    }
}

// MARK: - Block header

struct BlockHeader: Equatable {
    var version: UInt16 = SegmentFormat.version
    var codec: UInt8 = SegmentFormat.codecLZ4
    var count: UInt32
    var rawSize: UInt32
    var storedSize: UInt32
    var verdictMask: UInt8
    var minStart: Timestamp
    var maxEnd: Timestamp
    var protocolMask: (UInt64, UInt64, UInt64, UInt64)
    var payloadCRC: UInt32

    static func == (l: BlockHeader, r: BlockHeader) -> Bool {
        l.version == r.version && l.codec == r.codec && l.count == r.count && l.rawSize == r.rawSize
            && l.storedSize == r.storedSize && l.verdictMask == r.verdictMask && l.minStart == r.minStart
            && l.maxEnd == r.maxEnd && l.protocolMask == r.protocolMask && l.payloadCRC == r.payloadCRC
    }

    var totalSize: Int { SegmentFormat.blockHeaderSize + Int(storedSize) }

    func encode(into sink: inout ByteSink) {
        let start = sink.bytes.count
        sink.u32(SegmentFormat.blockMagic)
        sink.u16(version)
        sink.u8(codec)
        sink.u8(0)
        sink.u32(count)
        sink.u32(rawSize)
        sink.u32(storedSize)
        sink.u8(verdictMask)
        sink.u8(0); sink.u8(0); sink.u8(0)
        sink.u64(minStart.nanoseconds)
        sink.u64(maxEnd.nanoseconds)
        sink.u64(protocolMask.0); sink.u64(protocolMask.1); sink.u64(protocolMask.2); sink.u64(protocolMask.3)
        sink.u32(payloadCRC)
        let crc = sink.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<(start + 76)])) }
        sink.u32(crc)
    }

    enum Problem: Error { case notABlock, badChecksum, newerVersion(UInt16), unknownCodec(UInt8) }

    /// Decodes the 80 header bytes at the start of `bytes`.
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(Problem) -> BlockHeader {
        guard bytes.count >= SegmentFormat.blockHeaderSize,
              UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)) == SegmentFormat.blockMagic else {
            throw .notABlock
        }
        func u8(_ o: Int) -> UInt8 { bytes[o] }
        func u16(_ o: Int) -> UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt16.self)) }
        func u32(_ o: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
        func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<76])) == u32(76) else { throw .badChecksum }
        let version = u16(4)
        guard version <= SegmentFormat.version else { throw .newerVersion(version) }
        guard u8(6) == SegmentFormat.codecLZ4 else { throw .unknownCodec(u8(6)) }
        return BlockHeader(version: version, codec: u8(6), count: u32(8), rawSize: u32(12), storedSize: u32(16),
                           verdictMask: u8(20), minStart: Timestamp(nanoseconds: u64(24)),
                           maxEnd: Timestamp(nanoseconds: u64(32)),
                           protocolMask: (u64(40), u64(48), u64(56), u64(64)), payloadCRC: u32(72))
    }

    /// `decode` over the header bytes at `offset` of `bytes`, as a `Result`.
    static func decode(_ bytes: [UInt8], at offset: Int = 0) -> Result<BlockHeader, Problem> {
        guard bytes.count - offset >= SegmentFormat.blockHeaderSize else { return .failure(.notABlock) }
        return bytes.withUnsafeBytes { raw in
            Result { () throws(Problem) -> BlockHeader in
                try decode(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + SegmentFormat.blockHeaderSize)]))
            }
        }
    }

    /// What a reader knows about a block of an open segment, which has no Bloom filter yet:
    /// exact count, times, verdicts and protocols; every token "may be present".
    var conservativeDigest: BlockDigest {
        BlockDigest(count: count, minStart: minStart, maxEnd: maxEnd, verdictMask: verdictMask,
                    protocolMask: protocolMask, bloomHashCount: 0, bloomWords: [])
    }
}

// MARK: - Footer and index

struct SegmentFooter: Equatable {
    var version: UInt16 = SegmentFormat.version
    var indexOffset: UInt64
    var indexLength: UInt32
    var indexCRC: UInt32
    var blockCount: UInt32
    var flowCount: UInt64
    var minStart: Timestamp
    var maxEnd: Timestamp

    func encoded() -> [UInt8] {
        var sink = ByteSink(capacity: SegmentFormat.footerSize)
        sink.u32(SegmentFormat.footerMagic)
        sink.u16(version)
        sink.u16(0)
        sink.u64(indexOffset)
        sink.u32(indexLength)
        sink.u32(indexCRC)
        sink.u32(blockCount)
        sink.u64(flowCount)
        sink.u64(minStart.nanoseconds)
        sink.u64(maxEnd.nanoseconds)
        sink.u32(CRC32C.checksum(sink.bytes))
        return sink.bytes
    }

    /// nil when the bytes are not a valid footer (an open or torn segment).
    static func decode(_ bytes: UnsafeRawBufferPointer) -> SegmentFooter? {
        guard bytes.count == SegmentFormat.footerSize,
              UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)) == SegmentFormat.footerMagic,
              CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<52]))
                == UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 52, as: UInt32.self)) else { return nil }
        var c = ByteCursor(bytes, from: 4)
        do {
            let version = try c.u16()
            _ = try c.u16()
            return SegmentFooter(version: version, indexOffset: try c.u64(), indexLength: try c.u32(),
                                 indexCRC: try c.u32(), blockCount: try c.u32(), flowCount: try c.u64(),
                                 minStart: Timestamp(nanoseconds: try c.u64()), maxEnd: Timestamp(nanoseconds: try c.u64()))
        } catch {
            return nil
        }
    }
}

/// One block as the sealed segment's index lists it.
struct BlockIndexEntry: Equatable {
    var offset: UInt64
    var length: UInt32
    var digest: BlockDigest

    func encode(into sink: inout ByteSink) {
        sink.u64(offset)
        sink.u32(length)
        sink.u32(digest.count)
        sink.u64(digest.minStart.nanoseconds)
        sink.u64(digest.maxEnd.nanoseconds)
        sink.u8(digest.verdictMask)
        let p = digest.protocolMask
        sink.u64(p.0); sink.u64(p.1); sink.u64(p.2); sink.u64(p.3)
        sink.u8(digest.bloomHashCount)
        sink.u32(UInt32(digest.bloomWords.count))
        for word in digest.bloomWords { sink.u64(word) }
    }

    static func decode(_ c: inout ByteCursor) throws -> BlockIndexEntry {
        let offset = try c.u64()
        let length = try c.u32()
        let count = try c.u32()
        let minStart = Timestamp(nanoseconds: try c.u64())
        let maxEnd = Timestamp(nanoseconds: try c.u64())
        let verdicts = try c.u8()
        let p = (try c.u64(), try c.u64(), try c.u64(), try c.u64())
        let hashes = try c.u8()
        let words = Int(try c.u32())
        guard words <= c.remaining / 8 else { throw ByteCursor.Overrun(position: c.position) }
        var bloom = [UInt64](repeating: 0, count: words)
        for i in 0..<words { bloom[i] = try c.u64() }
        let digest = BlockDigest(count: count, minStart: minStart, maxEnd: maxEnd, verdictMask: verdicts,
                                 protocolMask: p, bloomHashCount: hashes, bloomWords: bloom)
        return BlockIndexEntry(offset: offset, length: length, digest: digest)
    }
}
