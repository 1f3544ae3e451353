import CLZ4
import FlowCore

/// Builds and opens whole blocks: header + LZ4 payload. The one place liblz4 is called.
struct BlockCodec {
    private var encoder = BlockEncoder()
    private var raw = ByteSink()
    private(set) var block = ByteSink()
    /// 0: LZ4's fast mode; 3…12: LZ4-HC at that level (same block format, same decoder).
    let level: Int
    /// LZ4-HC's working memory, allocated once per writer rather than per block.
    private var hcState: [UInt8]

    init(level: Int) {
        self.level = level
        hcState = level > 0 ? [UInt8](repeating: 0, count: Int(LZ4_sizeofStateHC())) : []
    }

    /// Records in the block being built.
    var count: Int { encoder.count }

    mutating func add(_ record: borrowing AnnotatedFlow) { encoder.add(record) }

    /// Closes the block being built: `block.bytes` gets header + compressed payload; returns
    /// the block's digest.
    mutating func finishBlock() throws -> BlockDigest {
        raw.bytes.removeAll(keepingCapacity: true)
        let flows = encoder.count
        let digest = encoder.finish(into: &raw)
        guard raw.bytes.count <= Int(SegmentFormat.maximumRawBlockSize) else {
            throw FlowlogError(.invalidArgument, "block of \(flows) flows is too large to compress", call: "LZ4_compress_default")
        }
        let bound = Int(LZ4_compressBound(Int32(raw.bytes.count)))
        block.bytes.removeAll(keepingCapacity: true)
        block.bytes.append(contentsOf: repeatElement(0, count: SegmentFormat.blockHeaderSize + bound))
        let level = Int32(self.level)
        let stored = raw.bytes.withUnsafeBytes { src in
            block.bytes.withUnsafeMutableBytes { dst in
                hcState.withUnsafeMutableBytes { state in
                    let from = src.baseAddress!.assumingMemoryBound(to: CChar.self)
                    let to = (dst.baseAddress! + SegmentFormat.blockHeaderSize).assumingMemoryBound(to: CChar.self)
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
        let payloadCRC = block.bytes.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[SegmentFormat.blockHeaderSize...]))
        }
        let header = BlockHeader(count: UInt32(flows), rawSize: UInt32(raw.bytes.count), storedSize: UInt32(stored),
                                 verdictMask: digest.verdictMask, minStart: digest.minStart, maxEnd: digest.maxEnd,
                                 protocolMask: digest.protocolMask, payloadCRC: payloadCRC)
        var headerSink = ByteSink(capacity: SegmentFormat.blockHeaderSize)
        header.encode(into: &headerSink)
        block.bytes.replaceSubrange(0..<SegmentFormat.blockHeaderSize, with: headerSink.bytes)
        return digest
    }

    /// Checks the stored payload's CRC and decompresses it into `raw` (resized as needed).
    /// Throws a description of the problem (the caller adds file and offset).
    static func decompress(_ stored: UnsafeRawBufferPointer, header: BlockHeader, into raw: inout [UInt8]) throws -> Int {
        guard CRC32C.checksum(stored) == header.payloadCRC else {
            throw BlockDecoder.Malformed(reason: "payload checksum mismatch", position: nil)
        }
        let rawSize = Int(header.rawSize)
        guard stored.count > 0, rawSize > 0 else { throw BlockDecoder.Malformed(reason: "empty block payload", position: nil) }
        guard rawSize < Int(Int32.max) else { throw BlockDecoder.Malformed(reason: "raw size too large", position: nil) }
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
