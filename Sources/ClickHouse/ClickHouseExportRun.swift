#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Atomics
import FlowCore

/// Drives a `ClickHouseExporter`: once until caught up, or (`follow`) for ever, polling for
/// new blocks, until `stop` is raised. While ClickHouse is down or refusing, the store keeps
/// growing locally and the exporter retries with backoff (up to 30 s between tries); once
/// the server is back it catches up batch by batch. Used by `flowlog export clickhouse` and
/// by the agent's `export.clickhouse` section, which at shutdown `drain`s: one more pass over
/// what the store holds once capture has flushed, within a time limit.
public struct ClickHouseExportRun: Sendable {
    public struct Settings: Sendable {
        public var endpoint: ClickHouseEndpoint
        public var exporter: ClickHouseExporter.Options
        public var follow: Bool
        public var pollInterval: Duration
        /// Without `follow`: how long transient failures are retried before giving up.
        public var retryFor: Duration
        /// Also export an audit store's versions (`audit_versions`), in the same passes.
        public var audit: AuditVersionExporter.Options?
        /// Also export the data directory's archived compliance reports (`report_results`).
        public var reports: ReportResultExporter.Options?

        public init(endpoint: ClickHouseEndpoint, exporter: ClickHouseExporter.Options, follow: Bool,
                    pollInterval: Duration = .seconds(1), retryFor: Duration = .seconds(30)) {
            self.endpoint = endpoint
            self.exporter = exporter
            self.follow = follow
            self.pollInterval = pollInterval
            self.retryFor = retryFor
        }
    }

    public let settings: Settings
    public let metrics: ExportMetrics
    public let stop: ManagedAtomic<Bool>
    /// Set by `drain(for:)`.
    private let drainDeadline = DrainDeadline()
    private let log: @Sendable (String) -> Void

    public init(settings: Settings, metrics: ExportMetrics = ExportMetrics(), stop: ManagedAtomic<Bool> = ManagedAtomic(false),
                log: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.metrics = metrics
        self.stop = stop
        self.log = log
    }

    /// Asks a following run to export what the store and the audit and report directories hold
    /// now, in one more pass, and then return, within `limit` (retrying an unreachable server
    /// until then); what is left is exported at the next start. A zero limit stops at once.
    public func drain(for limit: Duration) {
        guard limit > .zero else {
            stop.store(true, ordering: .relaxed)
            return
        }
        drainDeadline.start(limit: limit)
    }

    private var draining: Bool { drainDeadline.isRequested }
    private var stopped: Bool { stop.load(ordering: .relaxed) || drainDeadline.hasPassed }

    /// Runs until caught up (or stopped, with `follow`); throws what could not be retried.
    public func run() throws {
        let client = ClickHouseClient(endpoint: settings.endpoint)
        let exporter = try ClickHouseExporter(options: settings.exporter, client: client, metrics: metrics, log: log)
        defer { exporter.close() }
        let auditExporter = try settings.audit.map { try AuditVersionExporter(options: $0, client: client, log: log) }
        defer { auditExporter?.close() }
        let reportExporter = try settings.reports.map { try ReportResultExporter(options: $0, client: client, log: log) }
        defer { reportExporter?.close() }
        let clock = ContinuousClock()
        var prepared = false
        var backoff = Duration.milliseconds(250)
        var failingSince: ContinuousClock.Instant?
        let target = "\(settings.endpoint.hostAndPort)/\(settings.exporter.database).\(settings.exporter.table)"
        while !stopped {
            // A pass that begins after the drain was asked for sees everything capture flushed.
            let finalPass = draining
            do {
                if !prepared {
                    try exporter.prepare()
                    try auditExporter?.prepare()
                    try reportExporter?.prepare()
                    prepared = true
                }
                let progress = try exporter.exportAvailable()
                if let auditExporter {
                    let versions = try auditExporter.exportAvailable()
                    if versions > 0 { log("export: \(versions) audit versions to \(settings.endpoint.hostAndPort)/\(auditExporter.options.database).\(auditExporter.options.table)") }
                }
                if let reportExporter {
                    let sent = try reportExporter.exportAvailable()
                    if sent.reports > 0 {
                        log("export: \(sent.reports) reports (\(sent.rows) rows) to \(settings.endpoint.hostAndPort)/\(reportExporter.options.database).\(reportExporter.options.table)")
                    }
                }
                if failingSince != nil { log("export: \(target) reachable again; caught up") }
                failingSince = nil
                backoff = .milliseconds(250)
                if progress.blocks > 0 && settings.follow {
                    log("export: \(progress.rows) rows from \(progress.blocks) blocks to \(target)")
                }
                if finalPass {
                    log("export: sent everything stored before shutdown to \(target)")
                    return
                }
                guard settings.follow else {
                    let s = metrics.snapshot
                    log("export: \(s.rowsExported) rows from \(s.blocksExported) blocks to \(target) (\(exporter.checkpoint.rowsExported) in all); "
                        + "lag \(s.lagBlocks) blocks; checkpoint \(exporter.checkpointPath)")
                    return
                }
                pause(settings.pollInterval)
            } catch let error as ClickHouseError where settings.follow || error.isTransient {
                let now = clock.now
                if failingSince == nil { failingSince = now }
                log("export: \(error); retrying in \(Self.text(backoff))")
                if !settings.follow, let since = failingSince, now - since >= settings.retryFor { throw error }
                pause(backoff)
                backoff = min(backoff * 2, .seconds(30))
            } catch let error as FlowlogError where settings.follow {
                // The store may not exist yet (an agent that has not written), or be mid-change.
                log("export: \(error); retrying in \(Self.text(backoff))")
                pause(backoff)
                backoff = min(backoff * 2, .seconds(30))
            }
        }
    }

    /// Sleeps for `duration`, waking early when stopped.
    private func pause(_ duration: Duration) {
        let clock = ContinuousClock()
        let end = clock.now + duration
        // A drain asked for during the pause starts its pass at once.
        let wasDraining = draining
        while !stopped, clock.now < end, draining == wasDraining {
            let left = end - clock.now
            let step = min(left, .milliseconds(100))
            let (s, atto) = step.components
            usleep(UInt32(max(0, s * 1_000_000 + atto / 1_000_000_000_000)))
        }
    }

    private static func text(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        return ms >= 1000 && ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }
}
