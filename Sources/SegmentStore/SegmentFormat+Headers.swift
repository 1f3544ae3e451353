import FlowCore

// Encoding and checking of the fixed-layout parts drawn in `SegmentFormat`.

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

    enum Problem: Error, CustomStringConvertible {
        case notABlock, badChecksum, newerVersion(UInt16), unknownCodec(UInt8)
        /// Sizes or counts no writer produces; the header's checksum matched, so it was written
        /// that way (or forged), and reading it would cost memory out of proportion to the file.
        case implausible(String)

        var description: String {
            switch self {
            case .notABlock: return "no block header here (bad magic)"
            case .badChecksum: return "block header checksum mismatch"
            case .newerVersion(let v): return "block format version \(v) is newer than this flowlog understands"
            case .unknownCodec(let c): return "unknown codec \(c) (this flowlog reads 1 = LZ4)"
            case .implausible(let why): return why
            }
        }
    }

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
        let count = u32(8), rawSize = u32(12), storedSize = u32(16)
        guard count > 0, count <= SegmentFormat.maximumBlockRecords else {
            throw .implausible("block header counts \(count) records (1…\(SegmentFormat.maximumBlockRecords) allowed)")
        }
        guard storedSize > 0, rawSize > 0, UInt64(rawSize) <= UInt64(storedSize) * SegmentFormat.maximumCompressionRatio,
              rawSize <= SegmentFormat.maximumRawBlockSize else {
            throw .implausible("block header says \(storedSize) stored bytes hold \(rawSize) raw bytes (LZ4 expands at most \(SegmentFormat.maximumCompressionRatio)×, and a block holds at most \(SegmentFormat.maximumRawBlockSize) raw bytes)")
        }
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
    /// Bytes of an entry with an empty Bloom filter: offset, length, count, times, verdicts,
    /// protocols, hash count, word count.
    static let minimumSize = 8 + 4 + 4 + 8 + 8 + 1 + 32 + 1 + 4

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

// MARK: - Dictionary record header (version 3)

struct DictionaryRecordHeader: Equatable {
    var version: UInt16 = SegmentFormat.version
    var rawSize: UInt32
    var storedSize: UInt32
    /// Per table (strings, label sets, identities, traces): the first number it defines, and
    /// how many.
    var first: DictionaryMarks
    var counts: DictionaryMarks
    var payloadCRC: UInt32

    var totalSize: Int { SegmentFormat.dictionaryHeaderSize + Int(storedSize) }

    /// The marks after this record's entries (checked in `decode` not to overflow).
    var end: DictionaryMarks {
        DictionaryMarks(strings: first.strings + counts.strings, labelSets: first.labelSets + counts.labelSets,
                        identities: first.identities + counts.identities, traces: first.traces + counts.traces)
    }

    func encode(into sink: inout ByteSink) {
        let start = sink.bytes.count
        sink.u32(SegmentFormat.dictionaryMagic)
        sink.u16(version)
        sink.u8(SegmentFormat.codecLZ4)
        sink.u8(0)
        sink.u32(rawSize)
        sink.u32(storedSize)
        for (f, n) in [(first.strings, counts.strings), (first.labelSets, counts.labelSets),
                       (first.identities, counts.identities), (first.traces, counts.traces)] {
            sink.u32(UInt32(f))
            sink.u32(UInt32(n))
        }
        sink.u32(payloadCRC)
        let crc = sink.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<(start + 52)])) }
        sink.u32(crc)
    }

    /// Decodes and checks the header at `offset` of `bytes`; nil when there is no valid one
    /// there (the caller searches on). A header that checks out but whose sizes no writer makes
    /// throws (its copy says the same).
    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(BlockHeader.Problem) -> DictionaryRecordHeader? {
        guard offset >= 0, bytes.count - offset >= SegmentFormat.dictionaryHeaderSize,
              UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) == SegmentFormat.dictionaryMagic else {
            return nil
        }
        func u8(_ o: Int) -> UInt8 { bytes[offset + o] }
        func u16(_ o: Int) -> UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + o, as: UInt16.self)) }
        func u32(_ o: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + o, as: UInt32.self)) }
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + 52)])) == u32(52) else { return nil }
        let version = u16(4)
        guard version <= SegmentFormat.version else { throw .newerVersion(version) }
        guard u8(6) == SegmentFormat.codecLZ4 else { throw .unknownCodec(u8(6)) }
        let rawSize = u32(8), storedSize = u32(12)
        guard storedSize > 0, rawSize > 0, UInt64(rawSize) <= UInt64(storedSize) * SegmentFormat.maximumCompressionRatio,
              rawSize <= SegmentFormat.maximumRawBlockSize else {
            throw .implausible("dictionary record header says \(storedSize) stored bytes hold \(rawSize) raw bytes")
        }
        // Every entry takes at least one raw byte, and numbers stay 32-bit.
        let firsts = [u32(16), u32(24), u32(32), u32(40)].map(UInt64.init)
        let counts = [u32(20), u32(28), u32(36), u32(44)].map(UInt64.init)
        guard counts.reduce(0, +) <= UInt64(rawSize) else {
            throw .implausible("dictionary record header counts \(counts.reduce(0, +)) entries in \(rawSize) raw bytes")
        }
        guard zip(firsts, counts).allSatisfy({ $0 + $1 <= UInt64(Int32.max) }) else {
            throw .implausible("dictionary record numbers entries past 2^31")
        }
        return DictionaryRecordHeader(
            version: version, rawSize: rawSize, storedSize: storedSize,
            first: DictionaryMarks(strings: Int(firsts[0]), labelSets: Int(firsts[1]), identities: Int(firsts[2]), traces: Int(firsts[3])),
            counts: DictionaryMarks(strings: Int(counts[0]), labelSets: Int(counts[1]), identities: Int(counts[2]), traces: Int(counts[3])),
            payloadCRC: u32(48))
    }
}
