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

/// Encodes and compresses blocks away from the writer's thread, in two stages on two queues:
/// building a block (interning, columns, dictionary record, digest) and compressing it.
///
/// Building a block's dictionaries and LZ4-HC compressing it cost several microseconds per flow,
/// as much as everything else the consumer thread does; here they overlap with the writer's
/// caller producing the next block, and compressing one block overlaps with building the next,
/// so on two cores the chain of work that must run in order is the building alone. The writer
/// hands over a filled block's rows; at most two blocks are with the queue, the newer of them
/// possibly still being built, and blocks come back in the order they were cut. Writing stays
/// with the writer, on its own thread, so the file only ever grows by whole blocks in order.
///
/// A block's compression must succeed before the next block's dictionary record is closed
/// (that record holds the entries new since the last record on disk): the building stage waits
/// for the compression before it, which is almost always done by then.
///
/// With `background == false` the same work runs inline, on the caller's thread.
final class BlockEncodingQueue {
    /// One submitted block on its way through both stages.
    ///
    /// `@unchecked Sendable`: each field has one writer at a time. The building job sets
    /// `storedBound`, and the compressing job (or the building job, when building failed)
    /// `result` and `compressionFailed`, before leaving `built` and `compressed` respectively;
    /// others read them only after waiting on the same group, which orders the accesses. `rows`
    /// belongs to the building job until it leaves `built`, then to the writer's thread.
    final class Ticket: @unchecked Sendable {
        let cutAt: Timestamp
        let startsSegment: Bool
        let endsSegment: Bool
        var rows: [AnnotatedFlow] = []
        let built = DispatchGroup()
        let compressed = DispatchGroup()
        /// The most bytes the block can take once compressed; nil when building failed.
        var storedBound: Int?
        var compressionFailed = false
        var result: Result<EncodedBlock, Error>?

        init(cutAt: Timestamp, startsSegment: Bool, endsSegment: Bool) {
            self.cutAt = cutAt
            self.startsSegment = startsSegment
            self.endsSegment = endsSegment
        }
    }

    /// Stage state: the codec is touched only by building jobs, the compressor only by
    /// compressing jobs (each stage's queue is serial), or inline by the writer.
    private let stages: Stages
    private let background: Bool
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

    init(level: Int, background: Bool, formatVersion: UInt16 = SegmentFormat.version,
         catalogEntryLimit: Int = EncoderCatalog.defaultEntryLimit) {
        stages = Stages(codec: BlockCodec(level: level, formatVersion: formatVersion, catalogEntryLimit: catalogEntryLimit),
                        compressor: BlockCompressor(level: level))
        self.background = background
    }

    /// True while a block is with the queue and not yet taken.
    var isBusy: Bool { !tickets.isEmpty }

    /// Blocks with the queue and not yet taken.
    var pending: Int { tickets.count }

    /// The newest block not yet taken, once it is built: whether it opens a segment, when it
    /// was cut and the most bytes it can take (nil when building it failed). Waits for the
    /// building, not the compression.
    func newestBuilt() -> (startsSegment: Bool, cutAt: Timestamp, storedBound: Int?)? {
        guard let newest = tickets.last else { return nil }
        newest.built.wait()
        return (newest.startsSegment, newest.cutAt, newest.storedBound)
    }

    /// Starts encoding `rows` (non-empty); `rows` is left empty, with capacity to fill again.
    /// At most two blocks at a time: take the older ones first. `startsSegment`: the block
    /// will open a new segment; `endsSegment`: it is the last block of its segment (the writer
    /// closes), so its dictionary record is written once (`BlockCodec.finishRaw`).
    func submit(_ rows: inout [AnnotatedFlow], cutAt: Timestamp, startsSegment: Bool, endsSegment: Bool = false) {
        precondition(tickets.count < 2, "two blocks are already being encoded")
        precondition(!rows.isEmpty, "an empty block")
        let ticket = Ticket(cutAt: cutAt, startsSegment: startsSegment, endsSegment: endsSegment)
        var spare = spareRows.popLast() ?? []
        swap(&rows, &spare)
        ticket.rows = spare
        let before = tickets.last
        tickets.append(ticket)
        let stages = self.stages, background = self.background
        guard background else {
            Self.build(ticket, after: before, stages: stages, background: false)
            return
        }
        ticket.built.enter()
        ticket.compressed.enter()
        stages.building.async { Self.build(ticket, after: before, stages: stages, background: true) }
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

    /// The building stage: numbers and lays out the block, then hands it to compression.
    private static func build(_ ticket: Ticket, after before: Ticket?, stages: Stages, background: Bool) {
        if ticket.startsSegment { stages.codec.startSegment() }
        // Lent from the buffer, not copied out of it (a copy retains every box of the flow).
        ticket.rows.withUnsafeBufferPointer { stages.codec.add(contentsOf: $0) }
        if let before {
            before.compressed.wait()
            if before.compressionFailed { stages.codec.dictionaryNotWritten() }
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

    /// The compressing stage.
    private static func compress(_ raw: RawBlock, for ticket: Ticket, stages: Stages) {
        do {
            let assembled = try stages.compressor.assemble(raw)
            ticket.result = .success(EncodedBlock(bytes: assembled.bytes, digest: raw.digest, flows: UInt64(raw.flows),
                                                  cutAt: ticket.cutAt, blockStart: assembled.blockStart,
                                                  startsSegment: ticket.startsSegment))
        } catch {
            ticket.result = .failure(error)
            ticket.compressionFailed = true
        }
    }
}
