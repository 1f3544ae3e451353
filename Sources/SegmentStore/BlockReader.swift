import FlowCore

/// Reads one block from a segment file: header check, payload CRC, LZ4, decode. Keeps its
/// buffers and decoder tables between blocks, so a scan allocates per block, not per flow.
struct BlockReader {
    private var stored: [UInt8] = []
    private var raw: [UInt8] = []
    private var decoder = BlockDecoder()

    init() {}

    /// Returns the records decoded and whether the visitor stopped. Damage throws a
    /// `FlowlogError` (`.corrupt`) naming the file and the block's offset.
    mutating func read<V: StoreVisitor>(_ file: PosixFile, block: SegmentLayout.Block, since: Timestamp?, until: Timestamp?,
                                        visitor: inout V) throws -> (decoded: Int, stopped: Bool) {
        let length = Int(block.length)
        let location = FlowlogError.Location(file: file.path, offset: block.offset, field: "block")
        guard length >= SegmentFormat.blockHeaderSize else {
            throw FlowlogError(.corrupt, "block length \(length) is shorter than a block header", location: location)
        }
        let got = try file.read(into: &stored, count: length, at: block.offset)
        guard got == length else {
            throw FlowlogError(.truncated, "block ends past the end of the file", location: location)
        }
        let header: BlockHeader
        switch BlockHeader.decode(stored) {
        case .success(let decoded):
            header = decoded
        case .failure(.newerVersion(let v)):
            throw FlowlogError(.newerFormat, "block format version \(v) is newer than this flowlog understands (\(SegmentFormat.version))",
                               location: location)
        case .failure(let problem):
            throw FlowlogError(.corrupt, "damaged block header (\(problem))", location: location)
        }
        guard header.totalSize == length, header.count == block.digest.count else {
            throw FlowlogError(.corrupt, "block header disagrees with the index", location: location)
        }
        do {
            let rawSize = try stored.withUnsafeBytes {
                try BlockCodec.decompress(UnsafeRawBufferPointer(rebasing: $0[SegmentFormat.blockHeaderSize..<length]),
                                          header: header, into: &raw)
            }
            let result = try raw.withUnsafeBytes {
                try decoder.decode(UnsafeRawBufferPointer(rebasing: $0[0..<rawSize]), since: since, until: until, visitor: &visitor)
            }
            guard result.stopped || result.decoded == Int(header.count) else {
                throw BlockDecoder.Malformed(reason: "payload holds \(result.decoded) records, header says \(header.count)", position: 0)
            }
            return result
        } catch let malformed as BlockDecoder.Malformed {
            throw FlowlogError(.corrupt, malformed.description, location: location)
        }
    }
}
