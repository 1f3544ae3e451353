import FlowCore

/// Appends annotated flows to a store directory: blocks into the open segment, segments rolled
/// by size and age, sealed and aged out in the background.
///
/// One writer per directory (an flock on `DIR/LOCK` enforces it); any number of `StoreReader`s
/// may read at the same time, the open segment included. Not thread-safe: call it from one
/// thread at a time (it may be handed to another thread, hence `@unchecked Sendable`).
public final class SegmentWriter: @unchecked Sendable {
    public let directory: String
    public let configuration: StoreConfiguration

    private var lockDescriptor: Int32
    /// The open block's rows, until it fills and goes to `encoding`.
    private var rows: [AnnotatedFlow] = []
    private let encoding: BlockEncodingQueue
    /// An encoded block not yet written; see `writeFinished`.
    private var unwritten: EncodedBlock?
    private var segment: OpenSegment?
    private var nextSequence: UInt64
    private let sealer: SegmentSealer
    private var counters = WriterStatistics()
    private var lastSync = Directory.now()
    private var closed = false

    /// The segment being appended to.
    struct OpenSegment {
        var file: PosixFile
        var sequence: UInt64
        var path: String
        var size: UInt64
        var opened: Timestamp
        var index: [BlockIndexEntry] = []
        var flows: UInt64 = 0
        var minStart = Timestamp(nanoseconds: .max)
        var maxEnd = Timestamp.zero
    }

    /// Opens (creating if needed) `directory`, seals any open segment a previous writer left
    /// (keeping every complete block, truncating a torn tail; see `statistics.recovery`), and
    /// applies retention. `sealObserver` hears of every sealed and retired segment, and of the
    /// store's opening (after recovery, before retention).
    public init(directory: String, configuration: StoreConfiguration = .init(), sealObserver: (any SealObserver)? = nil) throws {
        self.directory = directory
        self.configuration = configuration
        encoding = BlockEncodingQueue(level: configuration.compressionLevel, background: configuration.encodesInBackground,
                                      limits: SegmentLimits(maxBytes: UInt64(configuration.segmentMaxBytes),
                                                            maxAge: configuration.segmentMaxAge),
                                      formatVersion: configuration.formatVersion, catalogEntryLimit: configuration.catalogEntryLimit)
        try Directory.create(directory)
        lockDescriptor = try Directory.lock(directory)
        do {
            let recovered = try StoreRecovery.run(directory: directory)
            counters.recovery = recovered.report
            nextSequence = recovered.nextSequence
            sealer = SegmentSealer(directory: directory, configuration: configuration, manifest: recovered.manifest,
                                   observer: sealObserver)
            try sealObserver?.storeOpened(directory: directory)
            try sealer.applyRetentionNow()
        } catch {
            Directory.unlock(lockDescriptor)
            throw error
        }
    }

    deinit {
        if !closed { try? close() }
    }

    /// Adds `flows` to the open block. A block that fills is encoded and compressed, in the
    /// background under `encodesInBackground` (then written by a later `append`, `flush` or
    /// `close`, at most `blocksBehind` blocks behind), otherwise before this returns.
    public func append(_ flows: [AnnotatedFlow]) throws {
        try checkUsable()
        try writeFinished(waiting: false)
        rows.reserveCapacity(configuration.blockRecords)
        for i in flows.indices {
            rows.append(flows[i])
            if rows.count >= configuration.blockRecords { try cutBlock() }
        }
        // At most `blocksBehind` blocks behind on return: older ones are waited for here.
        try writeKeeping(configuration.blocksBehind)
        try rollIfDue()
    }

    /// `append`, taking the flows instead of copying them: they move into the open block and
    /// `flows` is left empty (capacity kept). For callers done with their flows: a copy retains
    /// the boxes each flow holds (annotation, names) here, and the caller releases them again.
    public func append(taking flows: inout [AnnotatedFlow]) throws {
        // Emptied whatever happens: rows moved out leave vacant ones behind.
        defer { flows.removeAll(keepingCapacity: true) }
        try checkUsable()
        try writeFinished(waiting: false)
        rows.reserveCapacity(configuration.blockRecords)
        var next = 0
        while next < flows.count {
            let start = rows.count, moved = min(configuration.blockRecords - start, flows.count - next)
            // Vacant rows in the block, swapped with the flows: a swap moves values, it
            // retains nothing; the vacant rows left in `flows` hold no box to release.
            rows.append(contentsOf: repeatElement(Self.vacantRow, count: moved))
            rows.withUnsafeMutableBufferPointer { target in
                flows.withUnsafeMutableBufferPointer { source in
                    for k in 0..<moved { swap(&target[start + k], &source[next + k]) }
                }
            }
            next += moved
            if rows.count >= configuration.blockRecords { try cutBlock() }
        }
        try writeKeeping(configuration.blocksBehind)
        try rollIfDue()
    }

    /// A row that holds no reference (no annotation, no names, an empty node).
    private static let vacantRow = AnnotatedFlow(flow: FlowRecord(sourceAddress: IPAddress(ipv4: 0), destinationAddress: IPAddress(ipv4: 0),
                                                                  ipProtocol: .tcp, start: .zero, end: .zero))

    /// Writes every accepted flow: the block being encoded and the partly filled one. Durable
    /// on return under `.everyBlock`.
    public func flush() throws {
        try checkUsable()
        try writeAll()
        try rollIfDue()
    }

    /// Flushes, seals the open segment and waits for background sealing and retention to end.
    /// The writer cannot be used afterwards; a second call does nothing.
    public func close() throws {
        guard !closed else { return }
        defer {
            closed = true
            Directory.unlock(lockDescriptor)
        }
        try writeAll(closing: true)
        try roll()
        sealer.drain()
        if let error = sealer.takeError() { throw error }
    }

    /// Blocks the encoder placed in a segment while the block before was still being laid out.
    var blocksPlacedAtOnce: Int { encoding.placedAtOnce }

    public var statistics: WriterStatistics {
        var s = counters
        let sealed = sealer.counts()
        s.segmentsSealed = sealed.sealed
        s.segmentsDeleted = sealed.deleted
        return s
    }

    // MARK: - Blocks

    private func checkUsable() throws {
        guard !closed else { throw FlowlogError(.invalidArgument, "segment writer is closed", location: .init(file: directory)) }
        if let error = sealer.takeError() { throw error }
    }

    /// Hands the filled block to the encoder. Blocks reach the file in the order they were cut;
    /// at most `blocksBehind` + 1 are with the encoder, this one included.
    ///
    /// Whether the block opens a segment is decided here only when no block is with the
    /// encoder (the segment's size and age are then those written); otherwise the encoder
    /// decides it when it numbers the block, as this writer would have after writing the block
    /// before (`BlockEncodingQueue.Placement.afterPrevious`), so a cut never waits for a block
    /// to be built. A segment is rolled only here, with nothing being encoded, or when a
    /// block that opens a segment is written.
    ///
    /// `closing`: the segment is sealed after this block, so it is the segment's last.
    private func cutBlock(closing: Bool = false) throws {
        try writeKeeping(configuration.blocksBehind)
        let now = Directory.now()
        if encoding.isBusy {
            encoding.submit(&rows, cutAt: now, placement: .afterPrevious, endsSegment: closing)
            return
        }
        try rollIfDue(at: now)
        let placement: BlockEncodingQueue.Placement = if let segment {
            .decided(startsSegment: false, segment: SegmentExtent(opened: segment.opened, size: segment.size))
        } else {
            .decided(startsSegment: true, segment: SegmentExtent(opened: now, size: UInt64(SegmentFormat.segmentHeaderSize)))
        }
        encoding.submit(&rows, cutAt: now, placement: placement, endsSegment: closing)
    }

    /// Cuts the partly filled block and writes everything; `closing`: the segment is sealed
    /// next, so that block is its last.
    private func writeAll(closing: Bool = false) throws {
        if !rows.isEmpty { try cutBlock(closing: closing) }
        try writeFinished(waiting: true)
    }

    /// Writes the block whose write failed before, then every encoded block that is ready (or,
    /// when `waiting`, every block once it is). A block whose write failed stays in `unwritten`
    /// and is written first next time, so a transient I/O error loses no accepted flow.
    private func writeFinished(waiting: Bool) throws {
        try writeUnwritten()
        while let block = try encoding.take(waiting: waiting) {
            unwritten = block
            try writeUnwritten()
        }
    }

    /// Writes the oldest blocks, waiting for them, until at most `behind` are with the encoder;
    /// then every other block that is ready.
    private func writeKeeping(_ behind: Int) throws {
        try writeUnwritten()
        while encoding.pending > behind, let block = try encoding.take(waiting: true) {
            unwritten = block
            try writeUnwritten()
        }
        try writeFinished(waiting: false)
    }

    private func writeUnwritten() throws {
        guard let block = unwritten else { return }
        let digest = block.digest, flows = block.flows
        // (A segment past its age or size took no more blocks: the block was encoded to open
        // a new one, decided by `cutBlock` or by the encoder, and the open one is rolled here.)
        // A block encoded to continue a segment finds none open only when the block that was
        // to open it was lost (its compression failed); its dictionary record then holds every
        // entry the segment's numbering gave (the lost record's too), so it opens one itself.
        if block.startsSegment || segment == nil {
            if segment != nil { try roll() }
            try openSegment(at: block.cutAt)
        }
        let length = block.bytes.count
        try segment!.file.write(block.bytes, at: segment!.size)
        segment!.index.append(BlockIndexEntry(offset: segment!.size + UInt64(block.blockStart), length: UInt32(length - block.blockStart),
                                              digest: digest))
        segment!.size += UInt64(length)
        segment!.flows += flows
        if digest.minStart < segment!.minStart { segment!.minStart = digest.minStart }
        if digest.maxEnd > segment!.maxEnd { segment!.maxEnd = digest.maxEnd }
        counters.flows += flows
        counters.blocks += 1
        counters.bytesWritten += UInt64(length)
        unwritten = nil
        try syncIfDue()
    }

    private func syncIfDue() throws {
        guard let segment else { return }
        switch configuration.fsync {
        case .everyBlock:
            try segment.file.sync()
        case .interval(let seconds):
            let now = Directory.now()
            if Double(now.nanoseconds &- lastSync.nanoseconds) / 1e9 >= seconds {
                try segment.file.sync()
                lastSync = now
            }
        case .onSeal:
            break
        }
    }

    /// Opens the next segment for a block cut at `now`.
    private func openSegment(at now: Timestamp) throws {
        let sequence = nextSequence
        nextSequence += 1
        let path = directory + "/" + SegmentFormat.fileName(sequence: sequence, open: true)
        let file = try PosixFile.openForWriting(path, create: true)
        do {
            try file.write(SegmentHeader(version: configuration.formatVersion, sequence: sequence, created: now).encoded(), at: 0)
        } catch {
            file.close()
            try? Directory.remove(path)
            throw error
        }
        segment = OpenSegment(file: file, sequence: sequence, path: path, size: UInt64(SegmentFormat.segmentHeaderSize), opened: now)
        counters.bytesWritten += UInt64(SegmentFormat.segmentHeaderSize)
        // Under `.everyBlock` a synced block must also be findable after power loss: make the
        // new file's directory entry durable once.
        if configuration.fsync == .everyBlock { try Directory.sync(directory) }
    }

    // MARK: - Segments

    private func rollIfDue(at now: Timestamp = Directory.now()) throws {
        guard let segment, !encoding.isBusy, unwritten == nil else { return }
        // The rule the encoder places blocks by while earlier ones are still with it.
        if encoding.limits.rolls(SegmentExtent(opened: segment.opened, size: segment.size), at: now) {
            try roll()
        }
    }

    /// Appends the index and footer (quick, on this thread) and hands the file to the sealer,
    /// which syncs, renames and updates the manifest in the background.
    private func roll() throws {
        guard let open = segment else { return }
        segment = nil
        let trailer = SegmentTrailer.encode(index: open.index, indexOffset: open.size, flows: open.flows,
                                            minStart: open.minStart, maxEnd: open.maxEnd)
        do {
            try open.file.write(trailer.bytes, at: open.size)
        } catch {
            open.file.close()
            throw error
        }
        counters.bytesWritten += UInt64(trailer.bytes.count)
        let name = SegmentFormat.fileName(sequence: open.sequence, open: false)
        sealer.seal(file: open.file, from: open.path, to: directory + "/" + name,
                    entry: Manifest.entry(name: name, sequence: open.sequence, footer: trailer.footer,
                                          bytes: open.size + UInt64(trailer.bytes.count), sealedAt: Directory.now()))
    }
}

/// The index and footer that seal a segment.
enum SegmentTrailer {
    static func encode(index: [BlockIndexEntry], indexOffset: UInt64, flows: UInt64,
                       minStart: Timestamp, maxEnd: Timestamp) -> (bytes: [UInt8], footer: SegmentFooter) {
        var sink = ByteSink()
        for entry in index { entry.encode(into: &sink) }
        let footer = SegmentFooter(indexOffset: indexOffset, indexLength: UInt32(sink.bytes.count),
                                   indexCRC: CRC32C.checksum(sink.bytes), blockCount: UInt32(index.count), flowCount: flows,
                                   minStart: index.isEmpty ? .zero : minStart, maxEnd: maxEnd)
        sink.append(footer.encoded())
        return (sink.bytes, footer)
    }
}
