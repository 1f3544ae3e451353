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

/// Encodes and compresses one block at a time away from the writer's thread.
///
/// Building a block's dictionaries and LZ4-HC compressing it cost several microseconds per flow,
/// as much as everything else the consumer thread does; here they overlap with the writer's
/// caller producing the next block. The writer hands over a filled block's rows and takes the
/// result back before handing over another, so at most one block is encoded while the next
/// fills, and blocks come back in the order they were cut. Writing stays with the writer, on
/// its own thread, so the file only ever grows by whole blocks in order.
///
/// With `background == false` the same work runs inline, on the caller's thread.
///
/// `@unchecked Sendable`: the mutable fields have one owner at a time; the job owns them from
/// `queue.async` until it signals `finished`, the writer after it waits on `finished`, and the
/// semaphore orders the two.
final class BlockEncodingQueue: @unchecked Sendable {
    /// Touched by the encoding job while one is in flight, otherwise by the writer's thread.
    private var codec: BlockCodec
    private var result: Result<EncodedBlock, Error>?
    /// The rows being encoded; between blocks, an empty buffer the writer fills next (the two
    /// buffers swap on every block, so neither is allocated again).
    private var rowsInFlight: [AnnotatedFlow] = []
    private var inFlight = false
    private let background: Bool
    private let queue = DispatchQueue(label: "flowlog.block-encoder")
    private let finished = DispatchSemaphore(value: 0)

    init(level: Int, background: Bool, formatVersion: UInt16 = SegmentFormat.version,
         catalogEntryLimit: Int = EncoderCatalog.defaultEntryLimit) {
        codec = BlockCodec(level: level, formatVersion: formatVersion, catalogEntryLimit: catalogEntryLimit)
        self.background = background
    }

    /// True while a block is being encoded and not yet taken.
    var isBusy: Bool { inFlight }

    /// Starts encoding `rows` (non-empty); `rows` is left empty, with capacity to fill again.
    /// At most one block at a time: take the previous one first. `startsSegment`: the block
    /// will open a new segment; `endsSegment`: it is the last block of its segment (the
    /// writer closes), so its dictionary record is written once (`BlockCodec.finishBlock`).
    func submit(_ rows: inout [AnnotatedFlow], cutAt: Timestamp, startsSegment: Bool, endsSegment: Bool = false) {
        precondition(!inFlight && result == nil, "a block is already being encoded")
        precondition(!rows.isEmpty, "an empty block")
        swap(&rows, &rowsInFlight)
        inFlight = true
        guard background else {
            encode(cutAt: cutAt, startsSegment: startsSegment, endsSegment: endsSegment)
            return
        }
        queue.async { [self] in
            encode(cutAt: cutAt, startsSegment: startsSegment, endsSegment: endsSegment)
            finished.signal()
        }
    }

    /// The encoded block, if one was submitted: waits for it when `waiting`, otherwise returns
    /// nil while it is still being encoded. Throws what encoding threw (the block is lost, as
    /// it was when the writer encoded inline).
    func take(waiting: Bool) throws -> EncodedBlock? {
        guard inFlight else { return nil }
        if background {
            if waiting {
                finished.wait()
            } else if finished.wait(timeout: .now()) == .timedOut {
                return nil
            }
        }
        inFlight = false
        defer { result = nil }
        return try result?.get()
    }

    private func encode(cutAt: Timestamp, startsSegment: Bool, endsSegment: Bool) {
        if startsSegment { codec.startSegment() }
        // Lent from the buffer, not copied out of it (a copy retains every box of the flow).
        rowsInFlight.withUnsafeBufferPointer { rows in
            for i in rows.indices { codec.add(rows[i]) }
        }
        let flows = UInt64(rowsInFlight.count)
        result = Result {
            let digest = try codec.finishBlock(endsSegment: endsSegment)
            return EncodedBlock(bytes: codec.block.bytes, digest: digest, flows: flows, cutAt: cutAt, blockStart: codec.blockStart,
                                startsSegment: startsSegment)
        }
        rowsInFlight.removeAll(keepingCapacity: true)
    }
}
