import CLZ4
import FlowCore

/// Builds and opens whole blocks: header + LZ4 payload. The one place liblz4 is called.
struct BlockCodec {
    private var encoder: BlockEncoder
    private var raw = ByteSink()
    private(set) var block = ByteSink()
    /// 0: LZ4's fast mode; 3…12: LZ4-HC at that level (same block format, same decoder).
    let level: Int
    /// LZ4-HC's working memory, allocated once per writer rather than per block.
    private var hcState: [UInt8]

    init(level: Int, formatVersion: UInt16 = SegmentFormat.version, catalogEntryLimit: Int = EncoderCatalog.defaultEntryLimit) {
        self.level = level
        encoder = BlockEncoder(catalogEntryLimit: catalogEntryLimit, formatVersion: formatVersion)
        hcState = level > 0 ? [UInt8](repeating: 0, count: Int(LZ4_sizeofStateHC())) : []
    }

    /// Records in the block being built.
    var count: Int { encoder.count }

    /// Where in `block.bytes` the block itself starts: after its dictionary record's copies.
    private(set) var blockStart = 0

    mutating func add(_ record: borrowing AnnotatedFlow) { encoder.add(record) }

    /// The next block is the first of a segment (version 3 numbers dictionary entries per
    /// segment). Between blocks only.
    mutating func startSegment() { encoder.startSegment() }

    /// Closes the block being built: `block.bytes` gets the block's dictionary record twice
    /// (version 3, when the block uses entries new to the segment), then header + compressed
    /// payload from `blockStart` on; returns the block's digest.
    ///
    /// `endsSegment`: the writer seals the segment after this block, so no other block will
    /// use the record's entries, and the record is written once: its loss then costs this
    /// block only, as damage to the block itself would (a small store's one block no longer
    /// pays for a second copy of all its dictionary).
    mutating func finishBlock(endsSegment: Bool = false) throws -> BlockDigest {
        raw.bytes.removeAll(keepingCapacity: true)
        let flows = encoder.count
        let digest = encoder.finish(into: &raw)
        do {
            return try assemble(flows: flows, digest: digest, copies: endsSegment ? 1 : SegmentFormat.dictionaryCopies)
        } catch {
            // The block is lost: the entries its record held are not on disk, so the next
            // block's record must hold them.
            encoder.dictionaryNotWritten()
            throw error
        }
    }

    private mutating func assemble(flows: Int, digest: BlockDigest, copies: Int) throws -> BlockDigest {
        guard raw.bytes.count <= Int(SegmentFormat.maximumRawBlockSize) else {
            throw FlowlogError(.invalidArgument, "block of \(flows) flows is too large to compress", call: "LZ4_compress_default")
        }
        block.bytes.removeAll(keepingCapacity: true)
        let range = encoder.dictionaryRange
        if encoder.formatVersion >= SegmentFormat.segmentDictionaryVersion && !range.isEmpty {
            let dictionary = encoder.dictionary.bytes
            guard dictionary.count <= Int(SegmentFormat.maximumRawBlockSize) else {
                throw FlowlogError(.invalidArgument, "dictionary record of \(dictionary.count) bytes is too large to compress",
                                   call: "LZ4_compress_default")
            }
            block.bytes.append(contentsOf: repeatElement(0, count: SegmentFormat.dictionaryHeaderSize))
            let stored = try compress(dictionary, at: SegmentFormat.dictionaryHeaderSize)
            let payloadCRC = block.bytes.withUnsafeBytes {
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[SegmentFormat.dictionaryHeaderSize...]))
            }
            let from = range.from, to = range.to
            let header = DictionaryRecordHeader(
                version: encoder.formatVersion, rawSize: UInt32(dictionary.count), storedSize: UInt32(stored), first: from,
                counts: DictionaryMarks(strings: to.strings - from.strings, labelSets: to.labelSets - from.labelSets,
                                        identities: to.identities - from.identities, traces: to.traces - from.traces),
                payloadCRC: payloadCRC)
            var headerSink = ByteSink(capacity: SegmentFormat.dictionaryHeaderSize)
            header.encode(into: &headerSink)
            block.bytes.replaceSubrange(0..<SegmentFormat.dictionaryHeaderSize, with: headerSink.bytes)
            let record = block.bytes
            for _ in 1..<copies { block.bytes.append(contentsOf: record) }
        }
        blockStart = block.bytes.count
        block.bytes.append(contentsOf: repeatElement(0, count: SegmentFormat.blockHeaderSize))
        let stored = try compress(raw.bytes, at: blockStart + SegmentFormat.blockHeaderSize)
        let payloadCRC = block.bytes.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(blockStart + SegmentFormat.blockHeaderSize)...]))
        }
        let header = BlockHeader(version: encoder.formatVersion, count: UInt32(flows), rawSize: UInt32(raw.bytes.count),
                                 storedSize: UInt32(stored), verdictMask: digest.verdictMask, minStart: digest.minStart,
                                 maxEnd: digest.maxEnd, protocolMask: digest.protocolMask, payloadCRC: payloadCRC)
        var headerSink = ByteSink(capacity: SegmentFormat.blockHeaderSize)
        header.encode(into: &headerSink)
        block.bytes.replaceSubrange(blockStart..<(blockStart + SegmentFormat.blockHeaderSize), with: headerSink.bytes)
        return digest
    }

    /// Compresses `source` into `block.bytes`, which ends at `offset`; returns the stored size.
    private mutating func compress(_ source: [UInt8], at offset: Int) throws -> Int {
        precondition(block.bytes.count == offset)
        let bound = Int(LZ4_compressBound(Int32(source.count)))
        block.bytes.append(contentsOf: repeatElement(0, count: bound))
        let level = Int32(self.level)
        let stored = source.withUnsafeBytes { src in
            block.bytes.withUnsafeMutableBytes { dst in
                hcState.withUnsafeMutableBytes { state in
                    let from = src.baseAddress!.assumingMemoryBound(to: CChar.self)
                    let to = (dst.baseAddress! + offset).assumingMemoryBound(to: CChar.self)
                    return level > 0
                        ? LZ4_compress_HC_extStateHC(state.baseAddress, from, to, Int32(src.count), Int32(bound), level)
                        : LZ4_compress_default(from, to, Int32(src.count), Int32(bound))
                }
            }
        }
        guard stored > 0 else {
            throw FlowlogError(.libraryCall, "compression failed", call: level > 0 ? "LZ4_compress_HC_extStateHC" : "LZ4_compress_default")
        }
        block.bytes.removeLast(bound - Int(stored))
        return Int(stored)
    }

    /// Checks the stored payload's CRC and decompresses it into `raw` (resized as needed).
    /// Throws a description of the problem (the caller adds file and offset).
    static func decompress(_ stored: UnsafeRawBufferPointer, header: BlockHeader, into raw: inout [UInt8]) throws -> Int {
        try decompress(stored, crc: header.payloadCRC, rawSize: header.rawSize, into: &raw)
    }

    /// The same for any stored payload with its CRC and raw size (a dictionary record's too).
    static func decompress(_ stored: UnsafeRawBufferPointer, crc: UInt32, rawSize headerRawSize: UInt32,
                           into raw: inout [UInt8]) throws -> Int {
        guard CRC32C.checksum(stored) == crc else {
            throw BlockDecoder.Malformed(reason: "payload checksum mismatch", position: nil)
        }
        let rawSize = Int(headerRawSize)
        guard stored.count > 0, rawSize > 0 else { throw BlockDecoder.Malformed(reason: "empty block payload", position: nil) }
        guard rawSize < Int(Int32.max), stored.count < Int(Int32.max) else { throw BlockDecoder.Malformed(reason: "raw size too large", position: nil) }
        if raw.count < rawSize { raw = [UInt8](repeating: 0, count: rawSize) }
        let produced = raw.withUnsafeMutableBytes { dst in
            LZ4_decompress_safe(stored.baseAddress!.assumingMemoryBound(to: CChar.self),
                                dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                                Int32(stored.count), Int32(rawSize))
        }
        guard produced == Int32(rawSize) else {
            throw BlockDecoder.Malformed(reason: "LZ4_decompress_safe produced \(produced) bytes, header says \(rawSize)", position: nil)
        }
        return rawSize
    }
}
