import CLZ4
import FlowCore

/// A block encoded but not yet compressed: what `BlockCompressor` needs to assemble it.
struct RawBlock {
    /// The raw payload (layout in `SegmentFormat`).
    var payload: [UInt8]
    /// Version 3: the raw dictionary record payload (empty when the block needs no new entry)
    /// and the entry numbers it holds.
    var dictionary: [UInt8]
    var dictionaryRange: DictionaryRange
    var formatVersion: UInt16
    var flows: Int
    var digest: BlockDigest
    /// Copies of the dictionary record written before the block: one for the last block of a
    /// segment (no other block will use its entries, so its loss costs this block only, as
    /// damage to the block itself would), `SegmentFormat.dictionaryCopies` otherwise.
    var dictionaryCopies: Int

    /// Whether a dictionary record goes before the block.
    var hasDictionaryRecord: Bool { formatVersion >= SegmentFormat.segmentDictionaryVersion && !dictionaryRange.isEmpty }

    /// The most bytes the assembled block can take (LZ4's bound on each payload, headers, copies).
    var maximumStoredBytes: Int {
        var total = SegmentFormat.blockHeaderSize + Int(LZ4_compressBound(Int32(payload.count)))
        if hasDictionaryRecord {
            total += dictionaryCopies
                * (SegmentFormat.dictionaryHeaderSize + Int(LZ4_compressBound(Int32(dictionary.count))))
        }
        return total
    }
}

/// Builds and opens whole blocks: header + LZ4 payload. The one place liblz4 is called.
///
/// Building a block is numbering it (`add`, then `close`: in order, block after block) and
/// laying it out (`raw(of:…)`: on any thread); compressing it (`BlockCompressor`) is apart
/// again. So a writer can lay out and compress blocks on both cores while the next is numbered
/// (`BlockEncodingQueue`); `finishRaw` and `finishBlock` do it all here, one step after another.
struct BlockCodec {
    private var encoder: BlockEncoder
    private var compressor: BlockCompressor
    private var layout = BlockLayout()
    /// The content of the block last laid out here, emptied, for the next block to fill.
    private var spare = BlockContent()
    /// The dictionary entries of the block last finished, and those of a record that did not
    /// reach the file, which the next block's record holds before its own.
    private var lastEntries: DictionaryEntries?
    private var unwritten: DictionaryEntries?

    init(level: Int, formatVersion: UInt16 = SegmentFormat.version, catalogEntryLimit: Int = EncoderCatalog.defaultEntryLimit) {
        encoder = BlockEncoder(catalogEntryLimit: catalogEntryLimit, formatVersion: formatVersion)
        compressor = BlockCompressor(level: level)
    }

    /// Records in the block being built.
    var count: Int { encoder.count }

    mutating func add(_ record: AnnotatedFlow) { encoder.add(record) }

    /// Adds a block's rows, read where they lie (`BlockEncoder.add(row:)`), the lines later rows
    /// will read fetched a few rows ahead (`BlockEncoder+Lookahead`).
    mutating func add(contentsOf rows: UnsafeBufferPointer<AnnotatedFlow>) {
        guard let first = rows.baseAddress else { return }
        encoder.content.reserveCapacity(records: encoder.count + rows.count)
        let count = rows.count, offset = BlockEncoder.annotationOffset
        let ahead = BlockEncoder.rowPrefetchDistance, found = BlockEncoder.rowFoundDistance, keyed = BlockEncoder.rowKeyedDistance
        for i in 0..<count {
            if i + ahead < count { encoder.prefetch(row: first + i + ahead, annotationOffset: offset) }
            if i + found < count { encoder.prefetchFound(row: first + i + found) }
            if i + keyed < count { encoder.prefetchKeyed(row: first + i + keyed) }
            encoder.add(row: first + i)
        }
    }

    /// The next block is the first of a segment (version 3 numbers dictionary entries per
    /// segment, so entries of a lost record of the segment before are not carried). Between
    /// blocks only.
    mutating func startSegment() {
        encoder.startSegment()
        unwritten = nil
    }

    /// Ends the block's numbering (`BlockEncoder.close`), in `content`'s storage for the next.
    mutating func close(reusing content: BlockContent) -> NumberedBlock { encoder.close(reusing: content) }

    /// Lays `block` out and checks the sizes LZ4 takes: the raw block, ready to compress. Needs
    /// nothing of the codec (any thread). `dictionary`: the record's entries (the block's own,
    /// or a lost record's followed by them). `endsSegment`: the writer seals the segment after
    /// this block, so its dictionary record is written once (a small store's one block no
    /// longer pays for a second copy).
    static func raw(of block: NumberedBlock, dictionary: DictionaryEntries, endsSegment: Bool,
                    layout: inout BlockLayout) throws -> RawBlock {
        var payload = layout.lendPayload()
        let digest = block.layOut(with: &layout, into: &payload)
        layout.lastRawSize = payload.bytes.count
        let raw = RawBlock(payload: payload.bytes, dictionary: dictionary.payload, dictionaryRange: dictionary.range,
                           formatVersion: block.formatVersion, flows: block.flows, digest: digest,
                           dictionaryCopies: endsSegment ? 1 : SegmentFormat.dictionaryCopies)
        try BlockCompressor.check(raw)
        return raw
    }

    /// Closes the block being built and returns it raw, with its digest. A block too large to
    /// compress is refused here (and its dictionary entries go to the next block's record).
    mutating func finishRaw(endsSegment: Bool = false) throws -> RawBlock {
        var block = encoder.close(reusing: spare)
        var entries = block.dictionary
        if let lost = unwritten { entries = lost.followed(by: entries) }
        unwritten = nil
        lastEntries = entries
        defer {
            swap(&spare, &block.content)
            spare.removeAll()
        }
        do {
            return try Self.raw(of: block, dictionary: entries, endsSegment: endsSegment, layout: &layout)
        } catch {
            unwritten = entries
            throw error
        }
    }

    /// The dictionary record of the block last finished did not reach the file (its
    /// compression failed): its entries go to the next block's record. Between blocks only.
    mutating func dictionaryNotWritten() { unwritten = lastEntries }

    /// Closes the block being built and compresses it: the bytes to write (the block's
    /// dictionary record, when it has one, twice or, ending a segment, once, then header + compressed payload from
    /// `blockStart` on) and its digest.
    mutating func finishBlock(endsSegment: Bool = false) throws -> (bytes: [UInt8], blockStart: Int, digest: BlockDigest) {
        let raw = try finishRaw(endsSegment: endsSegment)
        do {
            let assembled = try compressor.assemble(raw)
            layout.keepPayload(raw.payload)
            return (assembled.bytes, assembled.blockStart, raw.digest)
        } catch {
            // The block is lost: the entries its record held are not on disk, so the next
            // block's record must hold them.
            dictionaryNotWritten()
            throw error
        }
    }
}

/// Compresses raw blocks into the bytes a segment holds.
struct BlockCompressor {
    /// 0: LZ4's fast mode; 3…12: LZ4-HC at that level (same block format, same decoder).
    let level: Int
    /// LZ4-HC's working memory, allocated once per writer rather than per block.
    private var hcState: [UInt8]

    init(level: Int) {
        self.level = level
        hcState = level > 0 ? [UInt8](repeating: 0, count: Int(LZ4_sizeofStateHC())) : []
    }

    /// The sizes LZ4 takes (checked before a block is handed over to be compressed).
    static func check(_ raw: RawBlock) throws {
        guard raw.payload.count <= Int(SegmentFormat.maximumRawBlockSize) else {
            throw FlowlogError(.invalidArgument, "block of \(raw.flows) flows is too large to compress", call: "LZ4_compress_default")
        }
        if raw.hasDictionaryRecord, raw.dictionary.count > Int(SegmentFormat.maximumRawBlockSize) {
            throw FlowlogError(.invalidArgument, "dictionary record of \(raw.dictionary.count) bytes is too large to compress",
                               call: "LZ4_compress_default")
        }
    }

    /// The block's dictionary record (version 3, when the block uses entries new to the
    /// segment) `raw.dictionaryCopies` times, then header + compressed payload from `blockStart` on.
    mutating func assemble(_ raw: RawBlock) throws -> (bytes: [UInt8], blockStart: Int) {
        try Self.check(raw)
        var block = ByteSink(capacity: raw.maximumStoredBytes)
        if raw.hasDictionaryRecord {
            let dictionary = raw.dictionary
            block.bytes.append(contentsOf: repeatElement(0, count: SegmentFormat.dictionaryHeaderSize))
            let stored = try compress(dictionary, into: &block, at: SegmentFormat.dictionaryHeaderSize)
            let payloadCRC = block.bytes.withUnsafeBytes {
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[SegmentFormat.dictionaryHeaderSize...]))
            }
            let from = raw.dictionaryRange.from, to = raw.dictionaryRange.to
            let header = DictionaryRecordHeader(
                version: raw.formatVersion, rawSize: UInt32(dictionary.count), storedSize: UInt32(stored), first: from,
                counts: DictionaryMarks(strings: to.strings - from.strings, labelSets: to.labelSets - from.labelSets,
                                        identities: to.identities - from.identities, traces: to.traces - from.traces),
                payloadCRC: payloadCRC)
            var headerSink = ByteSink(capacity: SegmentFormat.dictionaryHeaderSize)
            header.encode(into: &headerSink)
            block.bytes.replaceSubrange(0..<SegmentFormat.dictionaryHeaderSize, with: headerSink.bytes)
            let record = block.bytes
            for _ in 1..<raw.dictionaryCopies { block.bytes.append(contentsOf: record) }
        }
        let blockStart = block.bytes.count
        block.bytes.append(contentsOf: repeatElement(0, count: SegmentFormat.blockHeaderSize))
        let stored = try compress(raw.payload, into: &block, at: blockStart + SegmentFormat.blockHeaderSize)
        let payloadCRC = block.bytes.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(blockStart + SegmentFormat.blockHeaderSize)...]))
        }
        let digest = raw.digest
        let header = BlockHeader(version: raw.formatVersion, count: UInt32(raw.flows), rawSize: UInt32(raw.payload.count),
                                 storedSize: UInt32(stored), verdictMask: digest.verdictMask, minStart: digest.minStart,
                                 maxEnd: digest.maxEnd, protocolMask: digest.protocolMask, payloadCRC: payloadCRC)
        var headerSink = ByteSink(capacity: SegmentFormat.blockHeaderSize)
        header.encode(into: &headerSink)
        block.bytes.replaceSubrange(blockStart..<(blockStart + SegmentFormat.blockHeaderSize), with: headerSink.bytes)
        return (block.bytes, blockStart)
    }

    /// Compresses `source` into `block`, which ends at `offset`; returns the stored size.
    private mutating func compress(_ source: [UInt8], into block: inout ByteSink, at offset: Int) throws -> Int {
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
}

/// Opening stored blocks.
extension BlockCodec {
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
        // Grown with room to spare: blocks differ in size, and each regrowth of a buffer this
        // large is a fresh mapping whose every page faults in again.
        if raw.count < rawSize { raw = [UInt8](repeating: 0, count: rawSize + rawSize / 4) }
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
