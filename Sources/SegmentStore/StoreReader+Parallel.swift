import Dispatch
import FlowCore
import Synchronization

/// What each worker of `StoreReader.scanBlocks` does with the blocks it decodes: reads the rows
/// of one block into an output, which the scan then hands to the consumer in scan order.
/// Workers run on their own threads, one block at a time each; a worker is never shared.
/// Use it through generics, never as an existential.
public protocol StoreBlockWorker: SendableMetatype {
    associatedtype Output
    /// Set on the worker's `BlockRows` before decoding (see `BlockRows.numbersPreparedOnDemand`).
    var numbersPreparedOnDemand: Bool { get }
    /// An empty output. The scan keeps a few and reuses them block after block.
    func makeOutput() -> Output
    /// Reads a decoded block (its rows inside the scan's range) into `output`, replacing what
    /// an earlier block left there.
    mutating func work(on block: inout BlockRows, into output: inout Output)
}

/// What a block of `StoreReader.scanBlocks` came to, as the consumer receives it.
public enum ScannedBlock<Output> {
    /// The consumer declined it (`shouldRead`): not read.
    case declined
    /// It fails its checks (listed in the scan's problems) and was skipped.
    case damaged
    /// A worker read it into this output.
    case read(Output)
}

/// The receiving end of `StoreReader.scanBlocks`, on the scan's own thread: decides which
/// blocks to read, then takes every block the scan offered in the order a sequential scan
/// visits them, whichever worker read it and however early.
public protocol StoreBlockConsumer {
    associatedtype Output
    /// Whether to read a block. Asked ahead of the blocks handed over (the scan reads a few
    /// blocks ahead), so it must decide from the digest alone and change nothing.
    func shouldRead(block digest: BlockDigest) -> Bool
    /// The next block in scan order; `visited` is the number of flows it counts as visited.
    /// False stops the scan after it (blocks read ahead are dropped unseen).
    mutating func consume(block digest: BlockDigest, _ block: ScannedBlock<Output>, visited: inout Int) -> Bool
}

extension StoreReader {
    /// Reads and decodes blocks on `workers.count` threads, each worker with its own decoder,
    /// and hands their outputs to `consumer` on the calling thread in scan order (oldest segment
    /// first, write order within one), as `scan` would visit them. At most a few blocks per
    /// worker are read ahead of the consumer, so memory stays bounded however large the store.
    ///
    /// The statistics are those of a one-block-at-a-time scan that stopped where the consumer
    /// stopped: a block read ahead and never handed over is not counted. The first failure (an
    /// I/O error, a newer format) is thrown when the scan reaches its block, after the workers
    /// have stopped. With one worker everything runs on the calling thread.
    public func scanBlocks<W: StoreBlockWorker, C: StoreBlockConsumer>(
        since: Timestamp?, until: Timestamp?, workers: inout [W], consumer: inout C
    ) throws -> ScanStatistics where W.Output == C.Output {
        precondition(!workers.isEmpty)
        let cursor = try _ScanCursor(reader: self, since: since, until: until)
        if workers.count == 1 { return try scanBlocksInline(cursor, worker: &workers[0], consumer: &consumer) }

        let pool = BlockWorkerPool(slots: 2 * workers.count, makeOutput: workers[0].makeOutput)
        var total = ScanStatistics()
        let outcome: Result<Void, Error> = workers.withUnsafeMutableBufferPointer { workerSlots in
            let base = _DisjointSlots(workerSlots.baseAddress!)
            let group = DispatchGroup()
            for w in 0..<workerSlots.count {
                DispatchQueue(label: "flowlog.scan.worker").async(group: group) { pool.run(worker: &base.pointer[w]) }
            }
            // Whatever ends the scan, the workers stop (jobs still queued are dropped) before
            // their outputs and the workers array go away.
            defer {
                pool.close(workers: workerSlots.count)
                group.wait()
            }
            return Result { try pool.coordinate(cursor, consumer: &consumer, total: &total) }
        }
        try outcome.get()
        return total
    }

    /// `scanBlocks` with one worker: read, work and hand over one block at a time.
    private func scanBlocksInline<W: StoreBlockWorker, C: StoreBlockConsumer>(
        _ cursor: _ScanCursor, worker: inout W, consumer: inout C
    ) throws -> ScanStatistics where W.Output == C.Output {
        var total = ScanStatistics()
        var reader = BlockReader()
        var rows = BlockRows()
        rows.numbersPreparedOnDemand = worker.numbersPreparedOnDemand
        var output = worker.makeOutput()
        defer { _ = cursor.finish() }
        while let digest = try cursor.nextBlock() {
            var visited = 0
            let goOn: Bool
            if consumer.shouldRead(block: digest), let job = cursor.currentJob() {
                let outcome = job.read(with: &reader, into: &rows)
                if case .decoded = outcome { worker.work(on: &rows, into: &output) }
                total.add(cursor.takeStatistics())
                let read = try total.account(job, outcome)
                goOn = consumer.consume(block: digest, read ? .read(output) : .damaged, visited: &visited)
            } else {
                cursor.skipBlock()
                total.add(cursor.takeStatistics())
                goOn = consumer.consume(block: digest, .declined, visited: &visited)
            }
            total.flowsVisited += UInt64(visited)
            if !goOn { return total }
        }
        total.add(cursor.takeStatistics())
        return total
    }
}

/// The blocks a parallel scan has read ahead, their outputs, and the queue the workers take
/// them from.
///
/// `@unchecked Sendable`: a slot has one owner at a time. The scan's thread fills a slot's job
/// and posts its number; the worker that takes the number (the queue's mutex orders the two)
/// owns the slot until it signals the slot's semaphore; the scan's thread owns it again after
/// waiting on that semaphore, and only then reads the outcome and output or reuses the slot.
/// Slots are never resized while workers run.
final class BlockWorkerPool<Output>: @unchecked Sendable {
    final class Slot {
        var job: BlockJob?
        var outcome = BlockJob.Outcome.decoded(0)
        var output: Output
        let done = DispatchSemaphore(value: 0)
        init(output: Output) { self.output = output }
    }

    private struct Queue {
        var posted: [Int] = []
        var next = 0
        var closed = false
    }

    private let slots: [Slot]
    private let queue = Mutex(Queue())
    private let ready = DispatchSemaphore(value: 0)

    init(slots count: Int, makeOutput: () -> Output) {
        slots = (0..<count).map { _ in Slot(output: makeOutput()) }
    }

    /// A worker's loop: takes posted slots until the pool closes.
    func run<W: StoreBlockWorker>(worker: inout W) where W.Output == Output {
        var reader = BlockReader()
        var rows = BlockRows()
        rows.numbersPreparedOnDemand = worker.numbersPreparedOnDemand
        while let s = take() {
            let slot = slots[s]
            if let job = slot.job {
                slot.outcome = job.read(with: &reader, into: &rows)
                if case .decoded = slot.outcome { worker.work(on: &rows, into: &slot.output) }
            }
            slot.done.signal()
        }
    }

    /// The next posted slot; nil once the pool is closed (slots still posted are dropped).
    private func take() -> Int? {
        ready.wait()
        return queue.withLock { q -> Int? in
            guard !q.closed, q.next < q.posted.count else { return nil }
            let s = q.posted[q.next]
            q.next += 1
            if q.next == q.posted.count {
                q.posted.removeAll(keepingCapacity: true)
                q.next = 0
            }
            return s
        }
    }

    private func post(_ s: Int) {
        queue.withLock { $0.posted.append(s) }
        ready.signal()
    }

    /// Stops every worker after the block it is on.
    func close(workers: Int) {
        queue.withLock { $0.closed = true }
        for _ in 0..<workers { ready.signal() }
    }

    /// A block the cursor offered, in scan order: what counting it added, and the slot reading
    /// it (nil when declined).
    private struct Offered {
        var digest: BlockDigest
        var counted: ScanStatistics
        var slot: Int?
    }

    /// The scan's side: walks the cursor, posts blocks to read while a slot is free, and hands
    /// the oldest offered block to the consumer once its worker is done, until the cursor or the
    /// consumer ends the scan. Adds to `total` as blocks are handed over.
    func coordinate<C: StoreBlockConsumer>(_ cursor: _ScanCursor, consumer: inout C,
                                           total: inout ScanStatistics) throws where C.Output == Output {
        defer { _ = cursor.finish() }
        var free = Array((0..<slots.count).reversed())
        var offered: [Offered] = []
        var oldest = 0
        // Declined blocks take no slot; this bounds how many digests wait behind a slow block.
        let offeredLimit = 16 * slots.count
        var exhausted = false
        while true {
            while !exhausted, !free.isEmpty, offered.count - oldest < offeredLimit {
                guard let digest = try cursor.nextBlock() else {
                    exhausted = true
                    break
                }
                if consumer.shouldRead(block: digest), let job = cursor.currentJob() {
                    let s = free.removeLast()
                    slots[s].job = job
                    post(s)
                    offered.append(Offered(digest: digest, counted: cursor.takeStatistics(), slot: s))
                } else {
                    cursor.skipBlock()
                    offered.append(Offered(digest: digest, counted: cursor.takeStatistics(), slot: nil))
                }
            }
            guard oldest < offered.count else { break }
            let next = offered[oldest]
            oldest += 1
            if oldest == offered.count || oldest >= 64 {
                offered.removeFirst(oldest)
                oldest = 0
            }
            total.add(next.counted)
            var visited = 0
            let goOn: Bool
            if let s = next.slot {
                let slot = slots[s]
                slot.done.wait()
                let job = slot.job!
                slot.job = nil
                let read = try total.account(job, slot.outcome)
                goOn = consumer.consume(block: next.digest, read ? .read(slot.output) : .damaged, visited: &visited)
                free.append(s)
            } else {
                goOn = consumer.consume(block: next.digest, .declined, visited: &visited)
            }
            total.flowsVisited += UInt64(visited)
            if !goOn { return }
        }
        // Only now: counting the cursor's end (segments opened and found empty) belongs after
        // the last block.
        total.add(cursor.takeStatistics())
    }
}
