#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore

extension SinkWorker {
    /// Whether a batch should go now: a full one is waiting, the oldest record has waited the
    /// batch time, or the caller knows no more is coming soon (`flush`).
    func batchDue(flush: Bool) -> Bool {
        guard !spool.isEmpty else { return false }
        if flush || spool.pendingBytes >= UInt64(sink.batching.bytes) { return true }
        if let since = pendingSince, clock.now - since >= sink.batching.time { return true }
        return false
    }

    /// Sends one batch from the head of the spool and releases what the receiver settled.
    /// Returns the records settled; throws `SinkUnavailable` (nothing released) when the
    /// receiver cannot take it now. Items the receiver asks to have again are retried here
    /// with backoff until settled or `stop` is raised.
    func deliverBatch(stop: () -> Bool) throws -> Int {
        try spool.read(from: spool.head, maxRecords: sink.batching.count, maxBytes: sink.batching.bytes, into: &batch)
        if batch.damaged > 0 {
            log("siem: sink \(sink.name): \(batch.damaged) records in the spool failed their checksum; dropped")
            metrics.add(.dropped, batch.damaged)
        }
        guard batch.end > spool.head else { return 0 }
        if !batch.entries.isEmpty {
            if failedAt == spool.head { metrics.add(.retried, batch.entries.count) }
            state.inflight = UInt64(batch.entries.count)
            try stateFile.store(state, durable: false)
            var outcome: SendOutcome
            do {
                outcome = try transport.send(batch, only: nil)
            } catch let error as SinkUnavailable {
                failedAt = spool.head
                throw error
            }
            var rejected = outcome.rejected
            var backoff = Duration.milliseconds(100)
            while !outcome.retry.isEmpty {
                guard !stop() else {
                    failedAt = spool.head
                    throw SinkUnavailable("stopped with \(outcome.retry.count) records still to retry")
                }
                pause(backoff, stop: stop)
                backoff = min(backoff * 2, .seconds(10))
                metrics.add(.retried, outcome.retry.count)
                do {
                    outcome = try transport.send(batch, only: outcome.retry)
                } catch let error as SinkUnavailable {
                    failedAt = spool.head
                    throw error
                }
                rejected += outcome.rejected
            }
            for (index, reason) in rejected.prefix(3) {
                log("siem: sink \(sink.name): record \(index + 1) of a batch was refused: \(reason)")
            }
            if rejected.count > 3 { log("siem: sink \(sink.name): and \(rejected.count - 3) more refused in that batch") }
            metrics.add(.failed, rejected.count)
            metrics.add(.sent, batch.entries.count - rejected.count)
        }
        failedAt = nil
        try spool.release(through: batch.end)
        state.head = spool.head
        state.inflight = 0
        try stateFile.store(state, durable: false)
        if spool.isEmpty { pendingSince = nil } else if pendingSince != nil { pendingSince = clock.now }
        updateSpoolMetrics()
        return batch.entries.count
    }

    /// Sleeps for `duration`, waking early when `stop` says so.
    func pause(_ duration: Duration, stop: () -> Bool) {
        let end = clock.now + duration
        while !stop(), clock.now < end {
            let step = min(end - clock.now, .milliseconds(50))
            let (s, atto) = step.components
            usleep(UInt32(max(0, s * 1_000_000 + atto / 1_000_000_000_000)))
        }
    }
}
