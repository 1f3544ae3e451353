import Atomics
import CoreMetrics
import FlowCore
import FlowRing
import Prometheus

/// The agent's metrics, by name. Every name starts with `flowlog_`; docs/agent-configuration.md
/// lists them with their meaning.
///
/// Stages report per batch or per statistics tick, never per packet: a swift-metrics counter
/// increment is an atomic operation behind an existential, too costly at millions of packets a
/// second but nothing per batch. Totals that a stage keeps itself (libpcap's drop count, the
/// ring's counters) are reported with the `observe…(total:)` forms, which add the difference
/// since the last observation.
public final class PipelineMetrics: Sendable {
    public static let packets = "flowlog_packets_total"
    public static let bytes = "flowlog_bytes_total"
    public static let flows = "flowlog_flows_total"
    public static let drops = "flowlog_drops_total"
    public static let segmentsWritten = "flowlog_segments_written_total"
    public static let bytesWritten = "flowlog_bytes_written_total"
    public static let policyEvaluation = "flowlog_policy_evaluation_seconds"
    public static let reloads = "flowlog_manifest_reloads_total"
    public static let ringOccupancy = "flowlog_ring_occupancy"
    public static let activeFlows = "flowlog_flow_cache_flows"

    /// Where a record or packet was lost, the `stage` label of `flowlog_drops_total`.
    public enum DropStage: String, Sendable, CaseIterable {
        /// Packets the kernel dropped because the capture buffer was full (pcap_stats).
        case kernel
        /// Flow records refused by a full ring (`.dropNewest`).
        case ring
        /// Flows emitted early because the flow cache was full (they are stored, but split).
        case cacheEviction = "cache_eviction"
    }

    public enum ReloadResult: String, Sendable, CaseIterable {
        case ok
        case failed
    }

    let packetCounter: CoreMetrics.Counter
    let byteCounter: CoreMetrics.Counter
    let flowCounters: [Verdict: CoreMetrics.Counter]
    let dropCounters: [DropStage: CumulativeCounter]
    let segmentCounter: CoreMetrics.Counter
    let bytesWrittenCounter: CoreMetrics.Counter
    let evaluationTimer: CoreMetrics.Timer
    let reloadCounters: [ReloadResult: CoreMetrics.Counter]
    let ringOccupancyGauge: CoreMetrics.Gauge
    let activeFlowGauge: CoreMetrics.Gauge

    /// Creates the metrics through `factory` (by default the one `MetricsSystem.bootstrap`
    /// installed; tests pass their own so nothing global is touched).
    public init(factory: MetricsFactory = MetricsSystem.factory) {
        packetCounter = CoreMetrics.Counter(label: Self.packets, factory: factory)
        byteCounter = CoreMetrics.Counter(label: Self.bytes, factory: factory)
        var flows: [Verdict: CoreMetrics.Counter] = [:]
        for verdict in Verdict.allCases {
            flows[verdict] = CoreMetrics.Counter(label: Self.flows, dimensions: [("verdict", verdict.description)], factory: factory)
        }
        flowCounters = flows
        var drops: [DropStage: CumulativeCounter] = [:]
        for stage in DropStage.allCases {
            drops[stage] = CumulativeCounter(CoreMetrics.Counter(label: Self.drops, dimensions: [("stage", stage.rawValue)], factory: factory))
        }
        dropCounters = drops
        segmentCounter = CoreMetrics.Counter(label: Self.segmentsWritten, factory: factory)
        bytesWrittenCounter = CoreMetrics.Counter(label: Self.bytesWritten, factory: factory)
        evaluationTimer = CoreMetrics.Timer(label: Self.policyEvaluation, factory: factory)
        var reloads: [ReloadResult: CoreMetrics.Counter] = [:]
        for result in ReloadResult.allCases {
            reloads[result] = CoreMetrics.Counter(label: Self.reloads, dimensions: [("result", result.rawValue)], factory: factory)
        }
        reloadCounters = reloads
        ringOccupancyGauge = CoreMetrics.Gauge(label: Self.ringOccupancy, factory: factory)
        activeFlowGauge = CoreMetrics.Gauge(label: Self.activeFlows, factory: factory)
    }

    // MARK: Capture

    /// Packets and bytes captured since the last call (one call per batch).
    public func recordCaptured(packets: Int, bytes: Int) {
        if packets > 0 { packetCounter.increment(by: packets) }
        if bytes > 0 { byteCounter.increment(by: bytes) }
    }

    /// Adds the growth of a total that a stage counts itself (kernel drops from `pcap_stats`, the
    /// ring's `dropped`, the flow cache's evictions). A total that went down (a restarted
    /// handle) starts a new baseline instead of counting backwards.
    public func observeDrops(_ stage: DropStage, total: UInt64) {
        dropCounters[stage]!.advance(to: total)
    }

    /// Flows currently held by the flow cache.
    public func recordActiveFlows(_ count: Int) {
        activeFlowGauge.record(count)
    }

    /// The ring's counters: its drops and its current occupancy.
    public func observe(ring statistics: RingStatistics) {
        observeDrops(.ring, total: statistics.dropped)
        ringOccupancyGauge.record(statistics.occupancy)
    }

    // MARK: Policy and store

    /// Flows that got `verdict` since the last call.
    public func recordFlows(_ count: Int, verdict: Verdict) {
        if count > 0 { flowCounters[verdict]!.increment(by: count) }
    }

    /// How long evaluating one batch took, divided over its flows: one timer sample per batch,
    /// the per-flow mean, so the histogram stays cheap and in per-flow units.
    public func recordPolicyEvaluation(nanoseconds: UInt64, flows: Int) {
        guard flows > 0 else { return }
        evaluationTimer.recordNanoseconds(Int64(clamping: nanoseconds / UInt64(flows)))
    }

    public func recordSegmentSealed() {
        segmentCounter.increment()
    }

    public func recordBytesWritten(_ bytes: Int) {
        if bytes > 0 { bytesWrittenCounter.increment(by: bytes) }
    }

    public func recordReload(_ result: ReloadResult) {
        reloadCounters[result]!.increment()
    }
}

/// A counter fed with running totals: it adds each total's growth since the previous one.
final class CumulativeCounter: Sendable {
    let counter: CoreMetrics.Counter
    let last = ManagedAtomic<UInt64>(0)

    init(_ counter: CoreMetrics.Counter) { self.counter = counter }

    func advance(to total: UInt64) {
        let previous = last.exchange(total, ordering: .relaxed)
        if total > previous {
            counter.increment(by: Int(clamping: total - previous))
        }
    }
}

extension PipelineMetrics {
    /// Buckets for the per-flow policy evaluation time: 100 ns to 1 ms. swift-prometheus'
    /// defaults start at 5 ms, where no flow's evaluation would ever land.
    public static let policyEvaluationBuckets: [Duration] = [
        .nanoseconds(100), .nanoseconds(250), .nanoseconds(500),
        .microseconds(1), .microseconds(2), .microseconds(5), .microseconds(10), .microseconds(25),
        .microseconds(50), .microseconds(100), .microseconds(250), .milliseconds(1),
    ]

    /// A swift-metrics factory over `registry` with this module's histogram buckets.
    public static func prometheusFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[policyEvaluation] = policyEvaluationBuckets
        return factory
    }

    /// Installs a Prometheus-backed factory over `registry` as the process' metrics system and
    /// returns the metrics created through it. `MetricsSystem.bootstrap` may run once per process.
    public static func bootstrap(registry: PrometheusCollectorRegistry) -> PipelineMetrics {
        let factory = prometheusFactory(registry: registry)
        MetricsSystem.bootstrap(factory)
        return PipelineMetrics(factory: factory)
    }
}
