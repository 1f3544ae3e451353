import FlowCore

/// Where the blocks of one segment file are: from its index when sealed, else by walking the
/// block headers from the start (an open segment, or a sealed one whose index is damaged).
struct SegmentLayout {
    struct Block {
        var offset: UInt64
        var length: UInt32
        var digest: BlockDigest
        /// Version 3: the segment's dictionary records, which the block's references name.
        var dictionary: SegmentDictionary? = nil
    }

    var header: SegmentHeader
    /// The footer when the file carries a valid index.
    var footer: SegmentFooter?
    var blocks: [Block]
    /// End of the last good block (where a writer would append or an index would start).
    var validEnd: UInt64
    var fileSize: UInt64
    /// Damage found on the way (file and offset in each); dictionary records only when
    /// entries were lost.
    var problems: [FlowlogError]
    /// Damaged dictionary record copies whose twin was read: nothing lost, but damage
    /// (`store verify` reports it).
    var dictionaryCopiesDamaged: [FlowlogError] = []

    var flowCount: UInt64 { blocks.reduce(0) { $0 + UInt64($1.digest.count) } }

    /// Whether the segment header failed its checks; `header` then holds the sequence from
    /// the file name and the file's modification time.
    var headerDamaged = false

    /// Reads the layout of `file`. `verifyPayloads` also checks every payload's CRC while
    /// walking (recovery); a bad payload at the very end counts as a torn tail, elsewhere as damage.
    ///
    /// A damaged segment header costs only itself: every block carries its own checksums and
    /// the footer its own, so the index (or a walk from the first block on) still finds them.
    /// Only when neither a footer nor a single block checks out is the file not a segment.
    ///
    /// Version 3 segments' dictionary records (the bytes between blocks) are loaded too, and
    /// every block refers to them, unless `dictionaries` is false (a listing of blocks).
    static func read(_ file: PosixFile, useIndex: Bool = true, verifyPayloads: Bool = false, dictionaries: Bool = true) throws -> SegmentLayout {
        var layout = try readBlocks(file, useIndex: useIndex, verifyPayloads: verifyPayloads)
        if dictionaries { try layout.loadDictionary(file) }
        return layout
    }

    /// Loads a version 3 segment's dictionary records (for a layout read without them): the
    /// byte ranges between the segment header and the blocks.
    mutating func loadDictionary(_ file: PosixFile) throws {
        guard header.version >= SegmentFormat.segmentDictionaryVersion || headerDamaged,
              !blocks.contains(where: { $0.dictionary != nil }) else { return }
        var regions: [(offset: UInt64, length: UInt64)] = []
        var previousEnd = UInt64(SegmentFormat.segmentHeaderSize)
        for block in blocks.sorted(by: { $0.offset < $1.offset }) {
            if block.offset > previousEnd { regions.append((previousEnd, block.offset - previousEnd)) }
            previousEnd = max(previousEnd, block.offset + UInt64(block.length))
        }
        guard !regions.isEmpty else { return }
        let (dictionary, damage) = try SegmentDictionary.load(file, regions: regions)
        for i in blocks.indices { blocks[i].dictionary = dictionary }
        problems += damage.lost
        dictionaryCopiesDamaged = damage.copies
    }

    private static func readBlocks(_ file: PosixFile, useIndex: Bool, verifyPayloads: Bool) throws -> SegmentLayout {
        let size = try file.size
        var buffer: [UInt8] = []
        let got = try file.read(into: &buffer, count: SegmentFormat.segmentHeaderSize, at: 0)
        var problems: [FlowlogError] = []
        var headerError: FlowlogError?
        let header: SegmentHeader
        do {
            header = try buffer.withUnsafeBytes {
                try SegmentHeader.decode(UnsafeRawBufferPointer(rebasing: $0[0..<got]), file: file.path)
            }
        } catch let error as FlowlogError where error.code == .corrupt || error.code == .unsupportedFormat {
            let name = file.path.split(separator: "/").last.map(String.init) ?? file.path
            header = SegmentHeader(sequence: SegmentFormat.parseFileName(name)?.sequence ?? 0, created: file.modified)
            headerError = error
            problems.append(FlowlogError(.corrupt, "damaged segment header (\(error.message)); its blocks were found by their own checksums",
                                         location: .init(file: file.path, offset: 0, field: "segment header")))
        }
        var layout = SegmentLayout(header: header, footer: nil, blocks: [], validEnd: UInt64(SegmentFormat.segmentHeaderSize),
                                   fileSize: size, problems: problems)
        layout.headerDamaged = headerError != nil
        if useIndex, let footer = try readFooter(file, size: size) {
            do {
                try layout.readIndex(file, footer: footer)
                return layout
            } catch let error as FlowlogError {
                layout.problems.append(error)
                layout.blocks = []
            }
        }
        try layout.walk(file, verifyPayloads: verifyPayloads)
        if let headerError, layout.blocks.isEmpty { throw headerError }
        return layout
    }

    static func readFooter(_ file: PosixFile, size: UInt64) throws -> SegmentFooter? {
        guard size >= UInt64(SegmentFormat.segmentHeaderSize + SegmentFormat.footerSize) else { return nil }
        var buffer: [UInt8] = []
        let got = try file.read(into: &buffer, count: SegmentFormat.footerSize, at: size - UInt64(SegmentFormat.footerSize))
        guard got == SegmentFormat.footerSize else { return nil }
        return buffer.withUnsafeBytes { SegmentFooter.decode(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
    }

    private mutating func readIndex(_ file: PosixFile, footer: SegmentFooter) throws {
        let location = FlowlogError.Location(file: file.path, offset: footer.indexOffset, field: "block index")
        guard footer.version <= SegmentFormat.version else {
            throw FlowlogError(.newerFormat, "segment index version \(footer.version) is newer than this flowlog understands (\(SegmentFormat.version))",
                               location: location)
        }
        // Checked: the footer's numbers are input, and an offset near 2^64 must not trap.
        let (indexEnd, o1) = footer.indexOffset.addingReportingOverflow(UInt64(footer.indexLength))
        let (footerEnd, o2) = indexEnd.addingReportingOverflow(UInt64(SegmentFormat.footerSize))
        guard !o1, !o2, footerEnd == fileSize, footer.indexOffset >= UInt64(SegmentFormat.segmentHeaderSize) else {
            throw FlowlogError(.corrupt, "index bounds do not match the file size", location: location)
        }
        var buffer: [UInt8] = []
        let got = try file.read(into: &buffer, count: Int(footer.indexLength), at: footer.indexOffset)
        guard got == Int(footer.indexLength),
              CRC32C.checksum(buffer[0..<got]) == footer.indexCRC else {
            throw FlowlogError(.corrupt, "index checksum mismatch", location: location)
        }
        var entries: [Block] = []
        // The count is input too: reserve no more entries than the index has bytes for.
        entries.reserveCapacity(min(Int(footer.blockCount), got / BlockIndexEntry.minimumSize))
        try buffer.withUnsafeBytes { raw in
            var c = ByteCursor(raw, to: got)
            do {
                for _ in 0..<footer.blockCount {
                    let entry = try BlockIndexEntry.decode(&c)
                    let (entryEnd, overflow) = entry.offset.addingReportingOverflow(UInt64(entry.length))
                    guard entry.offset >= UInt64(SegmentFormat.segmentHeaderSize), !overflow,
                          entryEnd <= footer.indexOffset else {
                        throw FlowlogError(.corrupt, "index entry points outside the blocks", location: location)
                    }
                    entries.append(Block(offset: entry.offset, length: entry.length, digest: entry.digest))
                }
            } catch is ByteCursor.Overrun {
                throw FlowlogError(.corrupt, "index shorter than its block count", location: location)
            }
        }
        blocks = entries
        self.footer = footer
        validEnd = footer.indexOffset
    }

    /// Follows block headers from the segment header on. A header that fails its checksum is
    /// skipped by searching forward for the next valid header; when none follows, the rest is
    /// a torn tail and `validEnd` stops before it.
    private mutating func walk(_ file: PosixFile, verifyPayloads: Bool) throws {
        var offset = UInt64(SegmentFormat.segmentHeaderSize)
        var headerBytes: [UInt8] = []
        var payload: [UInt8] = []
        while offset + UInt64(SegmentFormat.blockHeaderSize) <= fileSize {
            _ = try file.read(into: &headerBytes, count: SegmentFormat.blockHeaderSize, at: offset)
            // Version 3 dictionary records are read with the block index's gaps
            // (`loadDictionary`); the walk steps over them. A record cut short is a torn tail.
            if let record = try dictionaryRecord(headerBytes, at: offset, file: file) {
                let end = offset + UInt64(record.totalSize)
                guard end <= fileSize else { return }
                offset = end
                continue
            }
            let decoded: BlockHeader?
            switch BlockHeader.decode(headerBytes) {
            case .success(let header):
                decoded = header
            case .failure(.newerVersion(let v)):
                throw FlowlogError(.newerFormat, "block format version \(v) is newer than this flowlog understands (\(SegmentFormat.version))",
                                   location: .init(file: file.path, offset: offset, field: "block header"))
            case .failure:
                decoded = nil
            }
            guard let header = decoded else {
                guard let next = try nextValidHeader(file, after: offset) else {
                    // A block being appended shows a valid header before its payload is complete
                    // (the file grows page by page behind the header), so a whole header-sized
                    // tail that is not a header is damage, not a write in progress, unless it is
                    // where a valid footer says the index starts.
                    if let footer = try Self.readFooter(file, size: fileSize), footer.indexOffset == offset { return }
                    problems.append(FlowlogError(.corrupt, "damaged block header; the last \(fileSize - offset) bytes could not be read",
                                                 location: .init(file: file.path, offset: offset, field: "block header")))
                    return
                }
                // A damaged dictionary record copy is reported by the dictionary's loading.
                if !headerBytes.starts(with: Self.dictionaryMagicBytes) {
                    problems.append(FlowlogError(.corrupt, "damaged block header; skipped \(next - offset) bytes to the next block",
                                                 location: .init(file: file.path, offset: offset, field: "block header")))
                }
                offset = next
                continue
            }
            let end = offset + UInt64(header.totalSize)
            guard end <= fileSize else { return }
            if verifyPayloads {
                let n = try file.read(into: &payload, count: Int(header.storedSize), at: offset + UInt64(SegmentFormat.blockHeaderSize))
                let good = n == Int(header.storedSize)
                    && payload.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } == header.payloadCRC
                if !good {
                    if end == fileSize { return }
                    problems.append(FlowlogError(.corrupt, "block payload checksum mismatch; block skipped",
                                                 location: .init(file: file.path, offset: offset, field: "block payload")))
                    offset = end
                    validEnd = end
                    continue
                }
            }
            blocks.append(Block(offset: offset, length: UInt32(header.totalSize), digest: header.conservativeDigest))
            offset = end
            validEnd = end
        }
    }

    static let dictionaryMagicBytes: [UInt8] = [0x46, 0x4C, 0x44, 0x43]   // "FLDC"

    /// The dictionary record whose header is at the start of `bytes` (read at `offset`), nil
    /// when there is none; a record of a newer format throws.
    private func dictionaryRecord(_ bytes: [UInt8], at offset: UInt64, file: PosixFile) throws -> DictionaryRecordHeader? {
        guard bytes.starts(with: Self.dictionaryMagicBytes) else { return nil }
        var full = bytes
        if full.count < SegmentFormat.dictionaryHeaderSize {
            _ = try file.read(into: &full, count: SegmentFormat.dictionaryHeaderSize, at: offset)
        }
        let decoded = full.withUnsafeBytes { raw in
            Result { () throws(BlockHeader.Problem) -> DictionaryRecordHeader? in try DictionaryRecordHeader.decode(raw, at: 0) }
        }
        switch decoded {
        case .success(let header):
            return header
        case .failure(.newerVersion(let v)):
            throw FlowlogError(.newerFormat, "dictionary record format version \(v) is newer than this flowlog understands (\(SegmentFormat.version))",
                               location: .init(file: file.path, offset: offset, field: "dictionary record header"))
        case .failure:
            return nil
        }
    }

    /// The offset of the next complete block or dictionary record with a valid header after
    /// `offset`, if any.
    private func nextValidHeader(_ file: PosixFile, after offset: UInt64) throws -> UInt64? {
        var rest: [UInt8] = []
        let count = Int(fileSize - offset)
        let got = try file.read(into: &rest, count: count, at: offset)
        var i = 1
        while i + SegmentFormat.blockHeaderSize <= got {
            if rest[i] == 0x46, rest[i + 1] == 0x4C, rest[i + 2] == 0x42, rest[i + 3] == 0x4B,
               case .success(let header) = BlockHeader.decode(rest, at: i), i + header.totalSize <= got {
                return offset + UInt64(i)
            }
            if rest[i] == 0x46, rest[i + 1] == 0x4C, rest[i + 2] == 0x44, rest[i + 3] == 0x43,
               let record = try? rest.withUnsafeBytes({ raw throws(BlockHeader.Problem) in try DictionaryRecordHeader.decode(raw, at: i) }), i + record.totalSize <= got {
                return offset + UInt64(i)
            }
            i += 1
        }
        return nil
    }
}
