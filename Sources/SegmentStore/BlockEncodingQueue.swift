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

/// Encodes and compresses blocks away from the writer's thread, in two stages on two queues:
/// building a block (interning, columns, dictionary record, digest) and compressing it.
///
/// Building a block's dictionaries and LZ4-HC compressing it cost several microseconds per flow,
/// as much as everything else the consumer thread does; here they overlap with the writer's
/// caller producing the next blocks, and compressing one block overlaps with building the next,
/// so on two cores the chain of work that must run in order is the building alone. The writer
/// hands over a filled block's rows and goes on; blocks come back in the order they were cut.
/// Writing stays with the writer, on its own thread, so the file only ever grows by whole
/// blocks in order.
///
/// Whether a block opens a segment must be known before it is built (a version 3 block refers
/// to its segment's dictionary records). The writer decides it when nothing is with the queue;
/// otherwise the building stage decides it (`Placement.afterPrevious`) as the writer would have
/// after writing the block before: from that block's bound once it is built, or its exact size
/// once it is compressed. The writer's caller then never waits for a block to be built to cut
/// the next, and the segments are byte for byte those of a writer that encodes each block
/// inline and writes it before cutting the next.
///
/// A block's compression must succeed before the next block's dictionary record is closed
/// (that record holds the entries new since the last record on disk): the building stage waits
/// for the compression before it, which is almost always done by then.
///
/// With `background == false` the same work runs inline, on the caller's thread.
final class BlockEncodingQueue {
    /// Where a submitted block goes.
    enum Placement {
        /// Decided by the writer, who has no block with the queue: the block opens a segment
        /// (then `segment` is the new one's, opened at the cut) or continues the open `segment`.
        case decided(startsSegment: Bool, segment: SegmentExtent)
        /// As the writer would decide after writing the block submitted before it (still with
        /// the queue): decided by the building stage.
        case afterPrevious
    }

    /// One submitted block on its way through both stages.
    ///
    /// `@unchecked Sendable`: each field has one writer at a time. The building job sets
    /// `startsSegment`, `segment` and `storedBound`, and the compressing job (or the building
    /// job, when building failed) `result`, `storedBytes` and `compressionFailed`, before leaving
    /// `built` and `compressed` respectively; the next block's building job reads them after the
    /// building job before it ended (one serial queue) and after waiting on `compressed`, the
    /// writer after waiting on both groups, which orders the accesses. `rows` belongs to the
    /// building job until it leaves `built`, then to the writer's thread.
    final class Ticket: @unchecked Sendable {
        let cutAt: Timestamp
        let endsSegment: Bool
        /// Decided by the writer at `submit`, or by the building job (`Placement.afterPrevious`).
        let decidedBySubmit: Bool
        /// Whether the block opens a segment: the writer rolls the open one first.
        var startsSegment: Bool
        /// The segment the block is written to, as it is before the block (its size is final
        /// once the block before is compressed).
        var segment: SegmentExtent
        var rows: [AnnotatedFlow] = []
        let built = DispatchGroup()
        let compressed = DispatchGroup()
        /// The most bytes the block can take once compressed; nil when building failed.
        var storedBound: Int?
        /// The bytes the writer writes for it; nil when it is lost (building or compression failed).
        var storedBytes: Int?
        var compressionFailed = false
        var result: Result<EncodedBlock, Error>?

        init(cutAt: Timestamp, placement: Placement, endsSegment: Bool) {
            self.cutAt = cutAt
            self.endsSegment = endsSegment
            switch placement {
            case .decided(let starts, let segment):
                decidedBySubmit = true
                startsSegment = starts
                self.segment = segment
            case .afterPrevious:
                decidedBySubmit = false
                startsSegment = false
                segment = SegmentExtent(opened: cutAt, size: 0)
            }
        }
    }

    /// Stage state: the codec is touched only by building jobs, the compressor only by
    /// compressing jobs (each stage's queue is serial), or inline by the writer.
    private let stages: Stages
    private let background: Bool
    /// When segments are sealed: the writer rolls by the same rule.
    let limits: SegmentLimits
    /// Writer's thread: the blocks submitted and not yet taken, oldest first.
    private var tickets: [Ticket] = []
    /// Writer's thread: emptied row buffers to hand the next blocks' rows over in.
    private var spareRows: [[AnnotatedFlow]] = []

    /// `@unchecked Sendable`: see `stages` (serial queues, one owner per field).
    private final class Stages: @unchecked Sendable {
        var codec: BlockCodec
        var compressor: BlockCompressor
        let building = DispatchQueue(label: "flowlog.block-encoder")
        let compressing = DispatchQueue(label: "flowlog.block-compressor")

        init(codec: BlockCodec, compressor: BlockCompressor) {
            self.codec = codec
            self.compressor = compressor
        }
    }

    init(level: Int, background: Bool, limits: SegmentLimits, formatVersion: UInt16 = SegmentFormat.version,
         catalogEntryLimit: Int = EncoderCatalog.defaultEntryLimit) {
        stages = Stages(codec: BlockCodec(level: level, formatVersion: formatVersion, catalogEntryLimit: catalogEntryLimit),
                        compressor: BlockCompressor(level: level))
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
    /// dictionary record is written once (`BlockCodec.finishRaw`).
    func submit(_ rows: inout [AnnotatedFlow], cutAt: Timestamp, placement: Placement, endsSegment: Bool = false) {
        precondition(!rows.isEmpty, "an empty block")
        if case .afterPrevious = placement {
            precondition(!tickets.isEmpty, "no block before to place this one after")
        } else {
            precondition(tickets.isEmpty, "the writer places a block only with none before it in the queue")
        }
        let ticket = Ticket(cutAt: cutAt, placement: placement, endsSegment: endsSegment)
        var spare = spareRows.popLast() ?? []
        swap(&rows, &spare)
        ticket.rows = spare
        let before = tickets.last
        tickets.append(ticket)
        let stages = self.stages, background = self.background, limits = self.limits
        guard background else {
            Self.build(ticket, after: before, limits: limits, stages: stages, background: false)
            return
        }
        ticket.built.enter()
        ticket.compressed.enter()
        stages.building.async { Self.build(ticket, after: before, limits: limits, stages: stages, background: true) }
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
        // The rows are released here, on the writer's thread, not on the encoder's.
        oldest.built.wait()
        var rows = oldest.rows
        oldest.rows = []
        rows.removeAll(keepingCapacity: true)
        spareRows.append(rows)
        return try oldest.result?.get()
    }

    /// The building stage: places the block (when the writer left it to this stage), numbers
    /// and lays it out, then hands it to compression.
    private static func build(_ ticket: Ticket, after before: Ticket?, limits: SegmentLimits, stages: Stages, background: Bool) {
        if !ticket.decidedBySubmit, let before { place(ticket, after: before, limits: limits) }
        if ticket.startsSegment { stages.codec.startSegment() }
        // Lent from the buffer, not copied out of it (a copy retains every box of the flow).
        ticket.rows.withUnsafeBufferPointer { stages.codec.add(contentsOf: $0) }
        if let before {
            before.compressed.wait()
            if before.compressionFailed { stages.codec.dictionaryNotWritten() }
            if !ticket.decidedBySubmit { settle(ticket, after: before) }
        }
        let raw: RawBlock
        do {
            raw = try stages.codec.finishRaw(endsSegment: ticket.endsSegment)
        } catch {
            ticket.result = .failure(error)
            if background {
                ticket.compressed.leave()
                ticket.built.leave()
            }
            return
        }
        ticket.storedBound = raw.maximumStoredBytes
        guard background else {
            compress(raw, for: ticket, stages: stages)
            return
        }
        stages.compressing.async {
            compress(raw, for: ticket, stages: stages)
            ticket.compressed.leave()
        }
        ticket.built.leave()
    }

    /// Decides, before the block is built, whether it opens a segment, as the writer would after
    /// writing `before`: `before` is built (the building queue is serial) and every block before
    /// it compressed, so its segment's size before it is exact. When even `before`'s largest
    /// size keeps the segment under its limits the answer is no without waiting for its
    /// compression; otherwise it is waited for and its exact size decides.
    private static func place(_ ticket: Ticket, after before: Ticket, limits: SegmentLimits) {
        let segment = before.segment
        let starts: Bool
        if let bound = before.storedBound, limits.continues(segment, adding: bound, at: ticket.cutAt) {
            starts = false
        } else {
            before.compressed.wait()
            if let stored = before.storedBytes {
                starts = limits.rolls(SegmentExtent(opened: segment.opened, size: segment.size + UInt64(stored)), at: ticket.cutAt)
            } else {
                // `before` is lost: the writer's segment is what it was before it, and none is
                // open when `before` was to open it.
                starts = before.startsSegment || limits.rolls(segment, at: ticket.cutAt)
            }
        }
        ticket.startsSegment = starts
        ticket.segment = starts ? SegmentExtent(opened: ticket.cutAt, size: UInt64(SegmentFormat.segmentHeaderSize))
                                : SegmentExtent(opened: segment.opened, size: segment.size)
    }

    /// Once `before` is compressed: the size of the segment before the block is final. A block
    /// that was to continue a segment `before` should have opened finds none open when
    /// `before` was lost after all (its compression failed): it opens one itself, its
    /// dictionary record holding every entry the segment's numbering gave (the lost record's
    /// too, `dictionaryNotWritten`).
    private static func settle(_ ticket: Ticket, after before: Ticket) {
        guard !ticket.startsSegment else { return }
        if let stored = before.storedBytes {
            ticket.segment.size += UInt64(stored)
        } else if before.startsSegment {
            ticket.startsSegment = true
            ticket.segment = SegmentExtent(opened: ticket.cutAt, size: UInt64(SegmentFormat.segmentHeaderSize))
        }
    }

    /// The compressing stage.
    private static func compress(_ raw: RawBlock, for ticket: Ticket, stages: Stages) {
        do {
            let assembled = try stages.compressor.assemble(raw)
            ticket.storedBytes = assembled.bytes.count
            ticket.result = .success(EncodedBlock(bytes: assembled.bytes, digest: raw.digest, flows: UInt64(raw.flows),
                                                  cutAt: ticket.cutAt, blockStart: assembled.blockStart,
                                                  startsSegment: ticket.startsSegment))
        } catch {
            ticket.result = .failure(error)
            ticket.compressionFailed = true
        }
    }
}
