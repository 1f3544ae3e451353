import FlowCore

/// Everything of a scan that does not depend on the visitor: choosing segments by manifest and
/// footer time range, walking their blocks, time pruning, reading and decoding a block,
/// counting. `StoreReader.scan` (inlinable) drives it. Not API (underscored).
public final class _ScanCursor {
    private let reader: StoreReader
    private let since: Timestamp?
    private let until: Timestamp?
    private var statistics = ScanStatistics()
    private var segments: [StoreReader.SegmentRef]
    private var nextSegment = 0
    private var manifest: [String: Manifest.Entry] = [:]
    private var file: SegmentFileHandle?
    private var blocks: [SegmentLayout.Block] = []
    private var nextBlockIndex = 0
    private var current: SegmentLayout.Block?
    private var blockReader = BlockReader()
    /// This cursor's part of a parallel scan: the blocks whose position among all blocks of the
    /// segments opened is `share` modulo `shares`. Share 0 also counts the segments.
    private let share: Int
    private let shares: Int
    private var blockOrdinal = 0

    @usableFromInline
    init(reader: StoreReader, since: Timestamp?, until: Timestamp?, share: Int = 0, of shares: Int = 1) throws {
        precondition(shares > 0 && share >= 0 && share < shares)
        self.reader = reader
        self.since = since
        self.until = until
        self.share = share
        self.shares = shares
        // List first, then read the manifest: retention drops a segment from the manifest
        // before deleting its file, so a segment listed here and gone from the manifest is
        // fine, while one in the manifest and not on disk was lost (compared by sequence, as a
        // segment sealed in between is listed under its open name).
        segments = try reader.listSegments()
        let loaded: Manifest?
        do {
            loaded = try Manifest.load(directory: reader.directory)
        } catch let error as FlowlogError where error.code != .newerFormat {
            // Only a cache of the footers: the scan goes on without it, and says so.
            loaded = nil
            if share == 0 {
                var unread = error
                unread.message = "\(error.code == .io ? "unreadable" : "damaged") manifest (\(error.message)); segments are chosen by their footers instead, and a missing segment cannot be noticed"
                statistics.problems.append(ScanProblem(unread, flowsMissing: 0))
            }
        }
        for entry in loaded?.entries ?? [] { manifest[entry.name] = entry }
        if share == 0 {
            let present = Set(segments.map(\.sequence))
            // A segment created and sealed since the listing is in the manifest too: it is
            // missing only if it is not on disk now either.
            for entry in loaded?.entries ?? [] where !present.contains(entry.sequence)
                && StoreReader.overlaps(entry.minStart, entry.maxEnd, since, until)
                && !Directory.exists(reader.directory + "/" + entry.name).exists {
                statistics.problems.append(ScanProblem(
                    FlowlogError(.fileNotFound, "segment listed in the manifest is missing",
                                 location: .init(file: reader.directory + "/" + entry.name)),
                    flowsMissing: entry.flows))
            }
        }
    }


    /// The digest of the next block that overlaps the time range, nil when none is left.
    @usableFromInline
    func nextBlock() throws -> BlockDigest? {
        while true {
            while nextBlockIndex < blocks.count {
                let block = blocks[nextBlockIndex]
                nextBlockIndex += 1
                blockOrdinal += 1
                if shares > 1, (blockOrdinal - 1) % shares != share { continue }
                statistics.blocksTotal += 1
                if block.digest.mayOverlap(since: since, until: until) {
                    current = block
                    return block.digest
                }
                statistics.blocksSkipped += 1
            }
            guard try openNextSegment() else { return nil }
        }
    }

    /// The visitor declined the current block.
    @usableFromInline
    func skipBlock() { statistics.blocksSkipped += 1 }

    /// Reads and decodes the current block into `block`; false (and the damage recorded) when
    /// it is corrupt.
    @usableFromInline
    func readBlock(into block: inout BlockRows) throws -> Bool {
        try read(into: &block)
    }

    /// Reads the current block and sums its records per conversation into `block`; false (and
    /// the damage recorded) when it is corrupt.
    @usableFromInline
    func readConversations(into block: inout ConversationSums) throws -> Bool {
        try read(into: &block)
    }

    private func read<Target: BlockDecodingTarget>(into block: inout Target) throws -> Bool {
        guard let job = currentJob() else { return false }
        return try account(job, job.read(with: &blockReader, into: &block))
    }

    /// The current block as a job another thread can read and decode (`BlockJob.read`): its
    /// segment file stays open while a job holds it.
    func currentJob() -> BlockJob? {
        guard let file, let current else { return nil }
        // A block wholly inside the range needs no test per record (and a column-wise read then
        // leaves the time columns packed).
        let inside = (since.map { current.digest.minStart >= $0 } ?? true) && (until.map { current.digest.maxEnd < $0 } ?? true)
        return BlockJob(file: file, block: current, since: inside ? nil : since, until: inside ? nil : until)
    }

    /// Counts what reading a job's block gave: true when it was decoded, false (the damage
    /// recorded) when it is corrupt; rethrows any other failure.
    func account(_ job: BlockJob, _ outcome: BlockJob.Outcome) throws -> Bool {
        try statistics.account(job, outcome)
    }

    /// What the cursor has counted since the last call (segments and blocks passed, skipped,
    /// read, problems met), and starts counting afresh. A scan that reads blocks ahead of
    /// handing them over adds each block's share only when it hands the block over, so its
    /// figures are those of a scan that read one block at a time.
    func takeStatistics() -> ScanStatistics {
        defer { statistics = ScanStatistics() }
        return statistics
    }

    @usableFromInline
    func visited(_ count: Int) { statistics.flowsVisited += UInt64(count) }

    @usableFromInline
    func finish() -> ScanStatistics {
        file = nil
        return statistics
    }

    /// What reading a segment's layout met, each with the flows it may cost: a damaged segment
    /// header or index costs none by itself (the blocks are found by walking); a block skipped
    /// while walking costs an unknown number, bounded by the manifest's count for the segment.
    private func recordProblems(of layout: SegmentLayout, ref: StoreReader.SegmentRef, manifestEntry: Manifest.Entry?) {
        var found: [ScanProblem] = []
        for problem in layout.problems {
            let field = problem.location?.field
            // Entries lost with a dictionary record cost the blocks that use them, which are
            // reported (with their flows) when they fail to decode.
            found.append(ScanProblem(problem, flowsMissing: field == "segment header" || field == "block index" || field == "dictionary record" ? 0 : nil))
        }
        if !ref.open && layout.footer == nil && layout.problems.allSatisfy({ $0.location?.field == "segment header" }) {
            found.append(ScanProblem(FlowlogError(.corrupt, "sealed segment has no valid index and footer (truncated?); read its blocks one by one",
                                                  location: .init(file: ref.path, offset: layout.validEnd)),
                                     flowsMissing: nil))
        }
        if let manifestEntry, let first = found.firstIndex(where: { $0.flowsMissing == nil }) {
            let intact = layout.flowCount
            found[first].flowsMissing = manifestEntry.flows > intact ? manifestEntry.flows - intact : 0
        }
        statistics.problems += found
    }

    /// Opens the next segment that may overlap the range and lists its blocks; false at the end.
    private func openNextSegment() throws -> Bool {
        file = nil
        blocks = []
        nextBlockIndex = 0
        while nextSegment < segments.count {
            let segment = segments[nextSegment]
            nextSegment += 1
            if share == 0 { statistics.segmentsTotal += 1 }
            if let entry = manifest[segment.name], !StoreReader.overlaps(entry.minStart, entry.maxEnd, since, until) {
                if share == 0 { statistics.segmentsSkipped += 1 }
                continue
            }
            guard let (opened, ref) = try reader.openSegment(segment) else { continue }
            let entry = manifest[ref.name]
            var layout: SegmentLayout
            do {
                // Dictionary records only for a segment the range needs.
                layout = try SegmentLayout.read(opened, dictionaries: false)
                if layout.footer.map({ StoreReader.overlaps($0.minStart, $0.maxEnd, since, until) }) ?? true {
                    try layout.loadDictionary(opened)
                }
            } catch let error as FlowlogError where error.code != .newerFormat && error.code != .io {
                if share == 0 { statistics.problems.append(ScanProblem(error, flowsMissing: entry?.flows)) }
                opened.close()
                continue
            }
            if share == 0 { recordProblems(of: layout, ref: ref, manifestEntry: entry) }
            if let footer = layout.footer, !StoreReader.overlaps(footer.minStart, footer.maxEnd, since, until) {
                if share == 0 { statistics.segmentsSkipped += 1 }
                opened.close()
                continue
            }
            file = SegmentFileHandle(opened)
            blocks = layout.blocks
            return true
        }
        return false
    }
}
