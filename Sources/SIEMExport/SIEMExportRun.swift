import Atomics
import FlowCore
import Foundation
import Synchronization
import SIEMConfig

/// Runs every sink of a configuration, each on its own thread: once until everything read is
/// delivered (`flowlog export siem`), or (`follow`) until `stop` is raised (the agent's
/// `export.siem`). A sink whose receiver is down keeps reading into its spool (following) or
/// retries for its `retry-for` (once) and then gives up, leaving its spool for the next run.
public final class SIEMExportRun: Sendable {
    public let configuration: SIEMConfiguration
    public let sources: RecordSources
    public let follow: Bool
    public let pollInterval: Duration
    public let stop: ManagedAtomic<Bool>
    /// Set by `drain(for:)`.
    private let drainDeadline = DrainDeadline()
    /// One per sink, in configuration order.
    public let metrics: [SinkMetrics]
    private let log: @Sendable (String) -> Void

    public struct SinkResult: Sendable {
        public var sink: String
        public var metrics: SinkMetrics.Snapshot
        /// Why the sink stopped early; nil when it delivered everything.
        public var failure: String?
        /// Bytes left in its spool for the next run.
        public var spooled: UInt64
    }

    public init(configuration: SIEMConfiguration, sources: RecordSources, follow: Bool, pollInterval: Duration = .seconds(1),
                stop: ManagedAtomic<Bool> = ManagedAtomic(false), metrics: [SinkMetrics]? = nil,
                log: @escaping @Sendable (String) -> Void) {
        self.configuration = configuration
        self.sources = sources
        self.follow = follow
        self.pollInterval = pollInterval
        self.stop = stop
        self.metrics = metrics ?? configuration.sinks.map { SinkMetrics(sink: $0.name) }
        self.log = log
    }

    /// Asks a following run to send what the sources hold now and then end, within `limit`:
    /// the agent's shutdown, once capture has stored its last flows. What is not sent by then
    /// stays in the spool for the next start. A zero limit stops at once.
    public func drain(for limit: Duration) {
        guard limit > .zero else {
            stop.store(true, ordering: .relaxed)
            return
        }
        drainDeadline.start(limit: limit)
    }

    /// Runs every sink to its end; returns one result per sink.
    public func run() -> [SinkResult] {
        let results = ResultBox(count: configuration.sinks.count)
        let group = DispatchGroup()
        for (i, sink) in configuration.sinks.enumerated() {
            group.enter()
            let thread = Thread { [self] in
                results.set(i, runSink(sink, metrics: metrics[i]))
                group.leave()
            }
            thread.name = "siem-\(sink.name)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        return results.all
    }

    /// One sink's loop; made to be tested with a transport of its own.
    func runSink(_ sink: SIEMConfiguration.Sink, metrics: SinkMetrics, transport: SinkTransport? = nil) -> SinkResult {
        var worker: SinkWorker?
        var backoff = Duration.milliseconds(250)
        var failingSince: ContinuousClock.Instant?
        let clock = ContinuousClock()
        let stopped: () -> Bool = { [stop, drainDeadline] in stop.load(ordering: .relaxed) || drainDeadline.hasPassed }
        let draining: () -> Bool = { [drainDeadline] in drainDeadline.isRequested }
        func result(_ failure: String?) -> SinkResult {
            SinkResult(sink: sink.name, metrics: metrics.snapshot, failure: failure, spooled: worker?.spool.pendingBytes ?? 0)
        }
        // How far reading may run ahead of delivery while the receiver keeps up.
        let readAhead = UInt64(max(sink.batching.bytes * 4, 4 << 20))
        // The last reading stopped at its budget: more records wait in the sources.
        var behind = false
        while !stopped() {
            // Only a pass that began after the drain was asked for has read what capture
            // flushed at shutdown; one already under way may have caught up before the flush.
            let drainingAtStart = draining()
            do {
                if worker == nil {
                    worker = try SinkWorker(sink: sink, configuration: configuration, sources: sources, metrics: metrics,
                                            transport: transport, log: log)
                    worker?.following = follow
                }
                guard let w = worker else { continue }
                // Following with the receiver down, keep reading: the spool is the buffer.
                let budget = failingSince != nil && follow ? UInt64(sink.spoolLimit) : readAhead
                var collected = SinkWorker.Collected()
                // While a batch is on the wire, read and render the next one (two cores at work):
                // then reading may fill the budget.
                if w.spool.pendingBytes < (w.sending ? budget : budget / 2) || (failingSince != nil && follow) {
                    collected = try w.collect(budget: budget)
                    behind = !collected.caughtUp
                }
                var delivered = try w.settleBatch(stop: stopped)
                let finishing = !follow || draining()
                while w.batchDue(flush: behind || finishing), !stopped() {
                    try w.startBatch()
                    // More to read: go and render it while this batch is sent.
                    if behind { break }
                    delivered += try w.settleBatch(stop: stopped)
                    if w.spool.pendingBytes < readAhead / 2 { break }
                }
                if failingSince != nil {
                    log("siem: sink \(sink.name): receiver reachable again")
                    failingSince = nil
                    backoff = .milliseconds(250)
                }
                if !follow && collected.caughtUp && w.spool.isEmpty {
                    try w.finishWindow()
                    w.transport.finish()
                    w.close()
                    return result(nil)
                }
                if follow && drainingAtStart && collected.caughtUp && w.spool.isEmpty && !w.sending {
                    w.transport.finish()
                    w.close()
                    log("siem: sink \(sink.name): sent everything stored before shutdown")
                    return result(nil)
                }
                if delivered == 0 && collected.records == 0 && collected.caughtUp && !w.sending {
                    // A drain asked for meanwhile starts its pass at once.
                    w.pause(follow ? min(pollInterval, sink.batching.time) : .milliseconds(20),
                            stop: { stopped() || draining() != drainingAtStart })
                }
            } catch let error as SinkUnavailable {
                let now = clock.now
                if failingSince == nil { failingSince = now }
                log("siem: sink \(sink.name): \(error); retrying in \(DurationText.format(backoff))")
                if !follow, let since = failingSince, now - since >= sink.retryFor {
                    worker?.close()
                    return result("receiver unreachable for \(DurationText.format(sink.retryFor)): \(error)")
                }
                worker?.pause(backoff, stop: stopped) ?? Thread.sleep(forTimeInterval: 0.25)
                backoff = min(backoff * 2, .seconds(30))
            } catch {
                guard follow else {
                    worker?.close()
                    return result("\(error)")
                }
                // The store may not exist yet (an agent that has not written), or be mid-change.
                log("siem: sink \(sink.name): \(error); retrying in \(DurationText.format(backoff))")
                worker?.close()
                worker = nil
                let wait = backoff
                let end = clock.now + wait
                while !stopped(), clock.now < end { Thread.sleep(forTimeInterval: 0.05) }
                backoff = min(backoff * 2, .seconds(30))
            }
        }
        // Stopped: a batch on the wire is waited for, so that what arrived is not sent again.
        if let w = worker, w.sending { _ = try? w.settleBatch(stop: { true }) }
        if draining(), let w = worker, !w.spool.isEmpty {
            log("siem: sink \(sink.name): shutdown time ran out; \(w.spool.pendingBytes) bytes stay in the spool and go first at the next start")
        }
        worker?.close()
        return result(nil)
    }
}

/// Results written by the sink threads, read after they all finished.
private final class ResultBox: Sendable {
    private let slots: Mutex<[SIEMExportRun.SinkResult?]>
    init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }
    func set(_ i: Int, _ result: SIEMExportRun.SinkResult) { slots.withLock { $0[i] = result } }
    var all: [SIEMExportRun.SinkResult] { slots.withLock { $0.compactMap { $0 } } }
}
