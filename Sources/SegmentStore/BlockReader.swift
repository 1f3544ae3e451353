import FlowCore

/// Reads one block from a segment file: header check, payload CRC, LZ4, decode. Keeps its
/// buffers and decoder tables between blocks, so a scan allocates per block, not per flow.
struct BlockReader {
    private var stored: [UInt8] = []
    private var raw: [UInt8] = []
    private var decoder = BlockDecoder()

    init() {}

    /// Decodes the block's records overlapping `[since, until)` into `decoded`; returns how
    /// many records the block holds. Damage throws a `FlowlogError` (`.corrupt`) naming the
    /// file and the block's offset.
    mutating func read<Target: BlockDecodingTarget>(_ file: PosixFile, block: SegmentLayout.Block, since: Timestamp?,
                                                    until: Timestamp?, into decoded: inout Target) throws -> Int {
        let length = Int(block.length)
        let location = FlowlogError.Location(file: file.path, offset: block.offset, field: "block")
        guard length >= SegmentFormat.blockHeaderSize else {
            throw FlowlogError(.corrupt, "block length \(length) is shorter than a block header", location: location)
        }
        // Grown with room to spare (as `BlockCodec.decompress` grows the raw buffer): blocks
        // differ in size, and each regrowth of a buffer this large is a fresh mapping whose
        // every page faults in again.
        if stored.count < length { stored = [UInt8](repeating: 0, count: length + length / 4) }
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
        decoder.payloadVersion = header.version
        decoder.segmentDictionary = block.dictionary
        do {
            let rawSize = try stored.withUnsafeBytes {
                try BlockCodec.decompress(UnsafeRawBufferPointer(rebasing: $0[SegmentFormat.blockHeaderSize..<length]),
                                          header: header, into: &raw)
            }
            let count = try raw.withUnsafeBytes {
                try decoded.decode(UnsafeRawBufferPointer(rebasing: $0[0..<rawSize]), with: &decoder, since: since, until: until)
            }
            guard count == Int(header.count) else {
                throw BlockDecoder.Malformed(reason: "payload holds \(count) records, header says \(header.count)", position: nil)
            }
            return count
        } catch let malformed as BlockDecoder.Malformed {
            throw FlowlogError(.corrupt, malformed.description, location: location)
        }
    }
}

/// What a block can be decoded into: rows, or sums per conversation.
protocol BlockDecodingTarget {
    /// Decodes `raw` with `decoder`; returns how many records the block holds.
    mutating func decode(_ raw: UnsafeRawBufferPointer, with decoder: inout BlockDecoder, since: Timestamp?,
                         until: Timestamp?) throws -> Int
    /// Empties it after a damaged block.
    mutating func removeAll()
}

extension BlockRows: BlockDecodingTarget {
    mutating func decode(_ raw: UnsafeRawBufferPointer, with decoder: inout BlockDecoder, since: Timestamp?,
                         until: Timestamp?) throws -> Int {
        try decoder.decode(raw, since: since, until: until, into: &self)
    }

    mutating func removeAll() { clear() }
}

extension ConversationSums: BlockDecodingTarget {
    mutating func decode(_ raw: UnsafeRawBufferPointer, with decoder: inout BlockDecoder, since: Timestamp?,
                         until: Timestamp?) throws -> Int {
        try decoder.rollUp(raw, since: since, until: until, into: &self)
    }
}

extension BlockRows {
    /// The digest of the decoded records (all of them: decode without a time range).
    func rebuildDigest() -> BlockDigest {
        var digest = BlockDigest()
        for i in 0..<count { digest.insert(flow(i)) }
        digest.seal()
        return digest
    }
}
