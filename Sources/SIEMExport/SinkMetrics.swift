import Atomics
import CoreMetrics
import FlowCore

/// What one sink reports, readable at any time (`snapshot`) and mirrored into swift-metrics
/// (the agent's Prometheus endpoint) with a `sink` label; docs/siem.md lists the names.
public final class SinkMetrics: Sendable {
    public static let sent = "flowlog_siem_records_sent_total"
    public static let failed = "flowlog_siem_records_failed_total"
    public static let retried = "flowlog_siem_records_retried_total"
    public static let dropped = "flowlog_siem_records_dropped_total"
    public static let redelivered = "flowlog_siem_records_redelivered_total"
    public static let spoolBytes = "flowlog_siem_spool_bytes"
    public static let lag = "flowlog_siem_lag_seconds"

    public struct Snapshot: Sendable, Equatable {
        /// Accepted by the receiver.
        public var sent: UInt64
        /// Refused for good (a malformed record, an index that refuses it); not retried.
        public var failed: UInt64
        /// Sent again after a failure (network, 5xx, 429, a per-item error worth retrying).
        public var retried: UInt64
        /// Dropped from a full spool, or unreadable in it, before they were sent.
        public var dropped: UInt64
        /// Sent again after a restart because the batch in flight at the crash may or may not
        /// have arrived: possible duplicates where the sink has no idempotency.
        public var redelivered: UInt64
        public var spoolBytes: UInt64
        /// Age of the oldest record not yet delivered, in seconds (0 when none waits).
        public var lagSeconds: UInt64
    }

    private let counts: [ManagedAtomic<UInt64>]
    private let counters: [CoreMetrics.Counter]
    private let spool = ManagedAtomic<UInt64>(0)
    private let lagValue = ManagedAtomic<UInt64>(0)
    private let spoolGauge: CoreMetrics.Gauge
    private let lagGauge: CoreMetrics.Gauge

    enum Count: Int { case sent, failed, retried, dropped, redelivered }

    public init(sink: String, factory: MetricsFactory = MetricsSystem.factory) {
        let dimensions = [("sink", sink)]
        counts = (0..<5).map { _ in ManagedAtomic<UInt64>(0) }
        counters = [Self.sent, Self.failed, Self.retried, Self.dropped, Self.redelivered].map {
            CoreMetrics.Counter(label: $0, dimensions: dimensions, factory: factory)
        }
        spoolGauge = CoreMetrics.Gauge(label: Self.spoolBytes, dimensions: dimensions, factory: factory)
        lagGauge = CoreMetrics.Gauge(label: Self.lag, dimensions: dimensions, factory: factory)
    }

    func add(_ count: Count, _ n: Int) {
        guard n > 0 else { return }
        counts[count.rawValue].wrappingIncrement(by: UInt64(n), ordering: .relaxed)
        counters[count.rawValue].increment(by: Int64(n))
    }

    func spool(bytes: UInt64, oldest: Timestamp?, now: Timestamp) {
        spool.store(bytes, ordering: .relaxed)
        spoolGauge.record(Int64(clamping: bytes))
        let lag = oldest.map { now.nanoseconds > $0.nanoseconds ? (now.nanoseconds - $0.nanoseconds) / 1_000_000_000 : 0 } ?? 0
        lagValue.store(lag, ordering: .relaxed)
        lagGauge.record(Int64(clamping: lag))
    }

    public var snapshot: Snapshot {
        Snapshot(sent: counts[0].load(ordering: .relaxed), failed: counts[1].load(ordering: .relaxed),
                 retried: counts[2].load(ordering: .relaxed), dropped: counts[3].load(ordering: .relaxed),
                 redelivered: counts[4].load(ordering: .relaxed), spoolBytes: spool.load(ordering: .relaxed),
                 lagSeconds: lagValue.load(ordering: .relaxed))
    }
}
