import Dispatch
import FlowCore

/// A block cut by the writer, encoded and compressed: ready to be written.
struct EncodedBlock {
    var bytes: [UInt8]
    var digest: BlockDigest
    var flows: UInt64
    /// When the writer cut the block; segment age is judged by it, so a block that waited
    /// for the encoder joins the segment it would have joined had it been written at once.
    var cutAt: Timestamp
    /// Where in `bytes` the block starts (its dictionary record's copies come first).
    var blockStart: Int
    /// Encoded as the first block of a segment: it must open one (version 3 blocks refer to
    /// the dictionary records of their own segment).
    var startsSegment: Bool
}

/// Where a segment stands before a block is written to it: when it was opened (its first
/// block's cut) and its size in bytes, header and blocks so far.
struct SegmentExtent: Equatable {
    var opened: Timestamp
    var size: UInt64
}

/// When a segment is sealed: the writer's `segmentMaxBytes` and `segmentMaxAge`.
struct SegmentLimits {
    var maxBytes: UInt64
    var maxAge: Double

    /// Whether a block cut at `cut` must open a new segment after the one at `extent`, by the
    /// exact size: the writer's roll rule (size reached or age reached).
    func rolls(_ extent: SegmentExtent, at cut: Timestamp) -> Bool {
        extent.size >= maxBytes || age(of: extent, at: cut) >= maxAge
    }

    /// Whether a block cut at `cut` continues the segment at `extent` whatever the block
    /// before it (at most `bound` bytes, not yet compressed) turns out to take.
    func continues(_ extent: SegmentExtent, adding bound: Int, at cut: Timestamp) -> Bool {
        extent.size + UInt64(bound) < maxBytes && age(of: extent, at: cut) < maxAge
    }

    func age(of extent: SegmentExtent, at cut: Timestamp) -> Double {
        Double(cut.nanoseconds &- extent.opened.nanoseconds) / 1e9
    }
}

/// Encodes and compresses blocks away from the writer's thread: numbering each block in order
/// on one queue, then laying it out and compressing it on either of two lanes.
///
/// Building a block's dictionaries and LZ4-HC compressing it cost several microseconds per flow,
/// as much as everything else the consumer thread does. Only numbering a block (`BlockEncoder`:
/// interning its values in the catalog and the segment's dictionary numbering, closing its
/// dictionary record) depends on the blocks before it, so only that runs block after block, on
/// one serial queue. Laying a block out (sorting, columns, tables, the digest) and compressing
/// it read the block alone and run on two lanes (serial queues, blocks taken in turn), so on two
/// cores two blocks are laid out at once while the next is numbered, and the chain of work that
/// must run in order is the numbering alone. The writer hands over a filled block's rows and
/// goes on; blocks come back in the order they were cut. Writing stays with the writer, on its
/// own thread, so the file only ever grows by whole blocks in order.
///
/// Whether a block opens a segment must be known before it is numbered (a version 3 block refers
/// to its segment's dictionary records). The writer decides it when nothing is with the queue;
/// otherwise the numbering stage decides it (`Placement.afterPrevious`) as the writer would have
/// after writing the block before: at once when even the most the blocks still being laid out
/// can take (`NumberedBlock.storedBound`, from their counts) keeps the segment under its limits,
/// otherwise from the exact size once the block before is compressed. The writer's caller then
/// never waits for a block to be built to cut the next, and the segments are byte for byte
/// those of a writer that encodes each block inline and writes it before cutting the next.
///
/// A block's dictionary record holds the entries new since the segment's last record on disk.
/// The numbering stage closes each block's record as if the block before reaches the file; a
/// lane learns whether it did once that block is compressed (almost always before this one is
/// laid out) and, when it did not, writes the lost record's entries before its own
/// (`DictionaryEntries.followed(by:)`).
///
/// With `background == false` the same work runs inline, on the caller's thread.
final class BlockEncodingQueue {
    /// Where a submitted block goes.
    enum Placement {
        /// Decided by the writer, who has no block with the queue: the block opens a segment
        /// (then `segment` is the new one's, opened at the cut) or continues the open `segment`.
        case decided(startsSegment: Bool, segment: SegmentExtent)
        /// As the writer would decide after writing the block submitted before it (still with
        /// the queue): decided by the numbering stage.
        case afterPrevious
    }

    /// One submitted block on its way through both stages.
    ///
    /// `@unchecked Sendable`: each field has one writer at a time, and every reader comes after
    /// it. The numbering job sets `numberedAsStart`, `planned`, `cutsAscending`,
    /// `storedEstimate` and `numbered` before it leaves `built` and before it hands the block to
    /// a lane; the next block's numbering job reads the first four after it (one serial queue).
    /// The lane job sets `startsSegment`, `segment`, `entries`, `storedBytes`, `lost`, `result`
    /// and `spare` before it leaves `compressed`; the next block's numbering and lane jobs and
    /// the writer read them after waiting on `compressed`. `rows` and `spare` (as handed in)
    /// belong to the numbering job until it leaves `built`, then to the writer's thread.
    final class Ticket: @unchecked Sendable {
        let cutAt: Timestamp
        let endsSegment: Bool
        /// Decided by the writer at `submit`, or by the numbering job (`Placement.afterPrevious`).
        let decidedBySubmit: Bool
        /// Which lane lays it out (blocks take the lanes in turn).
        let lane: Int
        // The numbering stage's.
        /// Whether the block was numbered as the first of a segment.
        var numberedAsStart: Bool
        /// The segment as numbered: when it opened and at most how large it is before the block
        /// (exactly, when placed by the writer or after the block before was compressed).
        var planned: SegmentExtent
        /// No block since the planned segment's opening was cut later than the next one: a
        /// segment opened by a later block (one before it lost) is then no older.
        var cutsAscending = true
        /// Placed while the block before was still being laid out (by the bound).
        var placedAtOnce = false
        /// At most how many bytes the block takes once compressed (from its counts).
        var storedEstimate = 0
        var numbered: NumberedBlock?
        var rows: [AnnotatedFlow] = []
        /// Emptied storage for the block's content, and (after `compressed`) the block's own.
        var spare: BlockContent?
        // The lane's.
        /// Whether the block opens a segment: the writer rolls the open one first.
        var startsSegment: Bool
        /// The segment the block is written to, exactly as it is before the block.
        var segment: SegmentExtent
        /// The dictionary entries its record holds (a lost record's before its own).
        var entries: DictionaryEntries?
        /// The bytes the writer writes for it; nil when it is lost.
        var storedBytes: Int?
        /// Not written: refused as too large, or its compression failed.
        var lost = false
        var result: Result<EncodedBlock, Error>?
        let built = DispatchGroup()
        let compressed = DispatchGroup()

        init(cutAt: Timestamp, placement: Placement, endsSegment: Bool, lane: Int) {
            self.cutAt = cutAt
            self.endsSegment = endsSegment
            self.lane = lane
            switch placement {
            case .decided(let starts, let segment):
                decidedBySubmit = true
                numberedAsStart = starts
                planned = segment
                startsSegment = starts
                self.segment = segment
            case .afterPrevious:
                decidedBySubmit = false
                numberedAsStart = false
                planned = SegmentExtent(opened: cutAt, size: 0)
                startsSegment = false
                segment = SegmentExtent(opened: cutAt, size: 0)
            }
        }
    }

    /// Stage state: the codec is touched only by numbering jobs (one serial queue), each lane's
    /// layout and compressor only by its own jobs (a serial queue each), or inline by the writer.
    private let stages: Stages
    private let background: Bool
    /// When segments are sealed: the writer rolls by the same rule.
    let limits: SegmentLimits
    /// Writer's thread: the blocks submitted and not yet taken, oldest first.
    private var tickets: [Ticket] = []
    /// Writer's thread: emptied row buffers to hand the next blocks' rows over in.
    private var spareRows: [[AnnotatedFlow]] = []
    /// Writer's thread: emptied block contents, likewise (their arrays keep their pages).
    private var spareContents: [BlockContent] = []
    /// Writer's thread: blocks submitted so far (picks the lane).
    private var submitted = 0
    /// Writer's thread: blocks taken that were placed while the block before was still being
    /// laid out (tests check that the bound lets most blocks of a large segment go at once).
    private(set) var placedAtOnce = 0

    /// `@unchecked Sendable`: see `stages` (serial queues, one owner per field).
    private final class Stages: @unchecked Sendable {
        var codec: BlockCodec
        let numbering = DispatchQueue(label: "flowlog.block-encoder")
        let lanes: [Lane]

        init(codec: BlockCodec, level: Int) {
            self.codec = codec
            lanes = (0..<2).map { Lane(label: "flowlog.block-layout-\($0)", level: level) }
        }
    }

    /// `@unchecked Sendable`: `layout` and `compressor` are touched only by jobs on `queue`
    /// (serial), or inline by the writer when nothing runs in the background.
    private final class Lane: @unchecked Sendable {
        let queue: DispatchQueue
        var layout = BlockLayout()
        var compressor: BlockCompressor

        init(label: String, level: Int) {
            queue = DispatchQueue(label: label)
            compressor = BlockCompressor(level: level)
        }
    }

    init(level: Int, background: Bool, limits: SegmentLimits, formatVersion: UInt16 = SegmentFormat.version,
         catalogEntryLimit: Int = EncoderCatalog.defaultEntryLimit) {
        stages = Stages(codec: BlockCodec(level: level, formatVersion: formatVersion, catalogEntryLimit: catalogEntryLimit),
                        level: level)
        self.background = background
        self.limits = limits
    }

    /// True while a block is with the queue and not yet taken.
    var isBusy: Bool { !tickets.isEmpty }

    /// Blocks with the queue and not yet taken.
    var pending: Int { tickets.count }

    /// Starts encoding `rows` (non-empty); `rows` is left empty, with capacity to fill again.
    /// `placement` must be `.afterPrevious` exactly when a block is with the queue.
    /// `endsSegment`: it is the last block of its segment (the writer closes), so its
    /// dictionary record is written once.
    func submit(_ rows: inout [AnnotatedFlow], cutAt: Timestamp, placement: Placement, endsSegment: Bool = false) {
        precondition(!rows.isEmpty, "an empty block")
        if case .afterPrevious = placement {
            precondition(!tickets.isEmpty, "no block before to place this one after")
        } else {
            precondition(tickets.isEmpty, "the writer places a block only with none before it in the queue")
        }
        let ticket = Ticket(cutAt: cutAt, placement: placement, endsSegment: endsSegment, lane: submitted % stages.lanes.count)
        submitted += 1
        var spare = spareRows.popLast() ?? []
        swap(&rows, &spare)
        ticket.rows = spare
        ticket.spare = spareContents.popLast() ?? BlockContent()
        let before = tickets.last
        tickets.append(ticket)
        let stages = self.stages, background = self.background, limits = self.limits
        guard background else {
            Self.number(ticket, after: before, limits: limits, stages: stages, background: false)
            return
        }
        ticket.built.enter()
        ticket.compressed.enter()
        stages.numbering.async { Self.number(ticket, after: before, limits: limits, stages: stages, background: true) }
    }

    /// The oldest encoded block, if one was submitted: waits for it when `waiting`, otherwise
    /// returns nil while it is still being encoded. Throws what encoding threw (the block is
    /// lost, as it was when the writer encoded inline).
    func take(waiting: Bool) throws -> EncodedBlock? {
        guard let oldest = tickets.first else { return nil }
        if waiting {
            oldest.compressed.wait()
        } else if oldest.compressed.wait(timeout: .now()) == .timedOut {
            return nil
        }
        tickets.removeFirst()
        if oldest.placedAtOnce { placedAtOnce += 1 }
        // The rows are released here, on the writer's thread, not on the encoder's.
        oldest.built.wait()
        var rows = oldest.rows
        oldest.rows = []
        rows.removeAll(keepingCapacity: true)
        spareRows.append(rows)
        if let content = oldest.spare {
            oldest.spare = nil
            spareContents.append(content)
        }
        return try oldest.result?.get()
    }

    /// The numbering stage: places the block (when the writer left it to this stage), numbers
    /// it and closes it, then hands it to its lane.
    private static func number(_ ticket: Ticket, after before: Ticket?, limits: SegmentLimits, stages: Stages, background: Bool) {
        if !ticket.decidedBySubmit, let before { place(ticket, after: before, limits: limits) }
        if ticket.numberedAsStart { stages.codec.startSegment() }
        // Lent from the buffer, not copied out of it (a copy retains every box of the flow).
        ticket.rows.withUnsafeBufferPointer { stages.codec.add(contentsOf: $0) }
        let block = stages.codec.close(reusing: ticket.spare ?? BlockContent())
        ticket.spare = nil
        ticket.storedEstimate = block.storedBound(dictionaryCopies: ticket.endsSegment ? 1 : SegmentFormat.dictionaryCopies)
        ticket.numbered = block
        let lane = stages.lanes[ticket.lane]
        guard background else {
            layOut(ticket, after: before, lane: lane)
            return
        }
        lane.queue.async {
            layOut(ticket, after: before, lane: lane)
            ticket.compressed.leave()
        }
        ticket.built.leave()
    }

    /// Decides, before the block is numbered, whether it opens a segment, as the writer would
    /// after writing `before`. While `before` is still being laid out, the most it and the
    /// blocks before it can take (`planned`, `storedEstimate`) keeping the segment under its
    /// limits means no, at once; otherwise `before` is waited for and the exact size decides.
    private static func place(_ ticket: Ticket, after before: Ticket, limits: SegmentLimits) {
        let cut = ticket.cutAt
        if before.compressed.wait(timeout: .now()) == .timedOut, before.cutsAscending, cut >= before.cutAt,
           limits.continues(before.planned, adding: before.storedEstimate, at: cut) {
            ticket.numberedAsStart = false
            ticket.planned = SegmentExtent(opened: before.planned.opened, size: before.planned.size + UInt64(before.storedEstimate))
            ticket.cutsAscending = true
            ticket.placedAtOnce = true
            return
        }
        before.compressed.wait()
        let segment = before.segment
        let starts: Bool
        if let stored = before.storedBytes {
            starts = limits.rolls(SegmentExtent(opened: segment.opened, size: segment.size + UInt64(stored)), at: cut)
        } else {
            // `before` is lost: the writer's segment is what it was before it, and none is
            // open when `before` was to open it.
            starts = before.startsSegment || limits.rolls(segment, at: cut)
        }
        ticket.numberedAsStart = starts
        ticket.planned = starts ? SegmentExtent(opened: cut, size: UInt64(SegmentFormat.segmentHeaderSize))
                                : SegmentExtent(opened: segment.opened, size: segment.size + UInt64(before.storedBytes ?? 0))
        ticket.cutsAscending = true
    }

    /// A lane: lays the block out, settles where it goes once the block before is compressed,
    /// and compresses it.
    private static func layOut(_ ticket: Ticket, after before: Ticket?, lane: Lane) {
        var block = ticket.numbered!
        ticket.numbered = nil
        var payload = lane.layout.lendPayload()
        let digest = block.layOut(with: &lane.layout, into: &payload)
        var entries = block.dictionary
        if let before {
            before.compressed.wait()
            if !ticket.decidedBySubmit { settle(ticket, after: before) }
            // A lost record's entries go before this block's own, unless this block started the
            // segment's numbering afresh.
            if before.lost, !ticket.numberedAsStart, let lost = before.entries { entries = lost.followed(by: entries) }
        }
        ticket.entries = entries
        do {
            let raw = RawBlock(payload: payload.bytes, dictionary: entries.payload, dictionaryRange: entries.range,
                               formatVersion: block.formatVersion, flows: block.flows, digest: digest,
                               dictionaryCopies: ticket.endsSegment ? 1 : SegmentFormat.dictionaryCopies)
            try BlockCompressor.check(raw)
            assert(before?.lost == true || raw.maximumStoredBytes <= ticket.storedEstimate, "a block larger than its bound")
            let assembled = try lane.compressor.assemble(raw)
            lane.layout.keepPayload(raw.payload)
            ticket.storedBytes = assembled.bytes.count
            ticket.result = .success(EncodedBlock(bytes: assembled.bytes, digest: digest, flows: UInt64(raw.flows),
                                                  cutAt: ticket.cutAt, blockStart: assembled.blockStart,
                                                  startsSegment: ticket.startsSegment))
        } catch {
            ticket.result = .failure(error)
            ticket.lost = true
        }
        block.content.removeAll()
        ticket.spare = block.content
    }

    /// Once `before` is compressed: the segment before the block, exactly. A block numbered to
    /// continue a segment `before` should have opened finds none open when `before` was lost
    /// after all: it opens one itself, its dictionary record holding every entry the segment's
    /// numbering gave (the lost record's too).
    private static func settle(_ ticket: Ticket, after before: Ticket) {
        if ticket.numberedAsStart {
            ticket.startsSegment = true
            ticket.segment = SegmentExtent(opened: ticket.cutAt, size: UInt64(SegmentFormat.segmentHeaderSize))
        } else if let stored = before.storedBytes {
            ticket.startsSegment = false
            ticket.segment = SegmentExtent(opened: before.segment.opened, size: before.segment.size + UInt64(stored))
        } else if before.startsSegment {
            ticket.startsSegment = true
            ticket.segment = SegmentExtent(opened: ticket.cutAt, size: UInt64(SegmentFormat.segmentHeaderSize))
        } else {
            ticket.startsSegment = false
            ticket.segment = before.segment
        }
    }
}
