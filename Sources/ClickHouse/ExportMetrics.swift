import Atomics
import CoreMetrics
import FlowCore

/// What an exporter reports: progress, lag and errors. Readable at any time from any thread
/// (`snapshot`), and mirrored into swift-metrics (the agent's Prometheus endpoint) under the
/// names below; docs/clickhouse.md lists them.
public final class ExportMetrics: Sendable {
    public static let rowsExported = "flowlog_export_rows_total"
    public static let blocksExported = "flowlog_export_blocks_total"
    public static let errors = "flowlog_export_errors_total"
    public static let blocksLost = "flowlog_export_blocks_lost_total"
    public static let lagBlocks = "flowlog_export_lag_blocks"
    public static let lagFlows = "flowlog_export_lag_flows"
    public static let oldestUnexported = "flowlog_export_oldest_unexported_seconds"

    public struct Snapshot: Sendable, Equatable {
        public var rowsExported: UInt64
        public var blocksExported: UInt64
        public var errors: UInt64
        public var blocksLost: UInt64
        /// Complete blocks in the store not yet exported, and the flows in them.
        public var lagBlocks: UInt64
        public var lagFlows: UInt64
        /// Start of the oldest flow not yet exported (seconds since the epoch), 0 when none.
        public var oldestUnexportedSeconds: UInt64
    }

    private let rows = ManagedAtomic<UInt64>(0)
    private let blocks = ManagedAtomic<UInt64>(0)
    private let errorCount = ManagedAtomic<UInt64>(0)
    private let lost = ManagedAtomic<UInt64>(0)
    private let lagBlockCount = ManagedAtomic<UInt64>(0)
    private let lagFlowCount = ManagedAtomic<UInt64>(0)
    private let oldest = ManagedAtomic<UInt64>(0)

    private let rowCounter: CoreMetrics.Counter
    private let blockCounter: CoreMetrics.Counter
    private let errorCounter: CoreMetrics.Counter
    private let lostCounter: CoreMetrics.Counter
    private let lagBlockGauge: CoreMetrics.Gauge
    private let lagFlowGauge: CoreMetrics.Gauge
    private let oldestGauge: CoreMetrics.Gauge

    /// `factory`: the one `MetricsSystem.bootstrap` installed, unless a test passes its own.
    public init(factory: MetricsFactory = MetricsSystem.factory, dimensions: [(String, String)] = []) {
        rowCounter = CoreMetrics.Counter(label: Self.rowsExported, dimensions: dimensions, factory: factory)
        blockCounter = CoreMetrics.Counter(label: Self.blocksExported, dimensions: dimensions, factory: factory)
        errorCounter = CoreMetrics.Counter(label: Self.errors, dimensions: dimensions, factory: factory)
        lostCounter = CoreMetrics.Counter(label: Self.blocksLost, dimensions: dimensions, factory: factory)
        lagBlockGauge = CoreMetrics.Gauge(label: Self.lagBlocks, dimensions: dimensions, factory: factory)
        lagFlowGauge = CoreMetrics.Gauge(label: Self.lagFlows, dimensions: dimensions, factory: factory)
        oldestGauge = CoreMetrics.Gauge(label: Self.oldestUnexported, dimensions: dimensions, factory: factory)
    }

    func exported(rows count: UInt64, blocks blockCount: UInt64) {
        rows.wrappingIncrement(by: count, ordering: .relaxed)
        blocks.wrappingIncrement(by: blockCount, ordering: .relaxed)
        rowCounter.increment(by: Int64(clamping: count))
        blockCounter.increment(by: Int64(clamping: blockCount))
    }

    func failed() {
        errorCount.wrappingIncrement(ordering: .relaxed)
        errorCounter.increment()
    }

    func lost(blocks count: UInt64) {
        guard count > 0 else { return }
        lost.wrappingIncrement(by: count, ordering: .relaxed)
        lostCounter.increment(by: Int64(clamping: count))
    }

    func lag(blocks: UInt64, flows: UInt64, oldestStart: Timestamp?) {
        lagBlockCount.store(blocks, ordering: .relaxed)
        lagFlowCount.store(flows, ordering: .relaxed)
        oldest.store(oldestStart?.seconds ?? 0, ordering: .relaxed)
        lagBlockGauge.record(Int64(clamping: blocks))
        lagFlowGauge.record(Int64(clamping: flows))
        oldestGauge.record(Int64(clamping: oldestStart?.seconds ?? 0))
    }

    public var snapshot: Snapshot {
        Snapshot(rowsExported: rows.load(ordering: .relaxed), blocksExported: blocks.load(ordering: .relaxed),
                 errors: errorCount.load(ordering: .relaxed), blocksLost: lost.load(ordering: .relaxed),
                 lagBlocks: lagBlockCount.load(ordering: .relaxed), lagFlows: lagFlowCount.load(ordering: .relaxed),
                 oldestUnexportedSeconds: oldest.load(ordering: .relaxed))
    }
}
