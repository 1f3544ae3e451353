import FlowCore
import FlowRing
import Prometheus
import Testing
@testable import Pipeline

@Suite("Pipeline metrics")
struct PipelineMetricsTests {
    func make() -> (PipelineMetrics, PrometheusCollectorRegistry) {
        let registry = PrometheusCollectorRegistry()
        return (PipelineMetrics(factory: PipelineMetrics.prometheusFactory(registry: registry)), registry)
    }

    @Test("every documented metric is exported under its name, before anything is recorded")
    func namesAreExported() {
        let (_, registry) = make()
        let text = registry.emitToString()
        for name in [PipelineMetrics.packets, PipelineMetrics.bytes, PipelineMetrics.flows, PipelineMetrics.drops,
                     PipelineMetrics.segmentsWritten, PipelineMetrics.bytesWritten, PipelineMetrics.policyEvaluation,
                     PipelineMetrics.reloads, PipelineMetrics.ringOccupancy, PipelineMetrics.activeFlows] {
            #expect(text.contains("# TYPE \(name) "), "\(name) missing")
        }
        for verdict in Verdict.allCases {
            #expect(text.contains(#"flowlog_flows_total{verdict="\#(verdict)"} 0"#))
        }
        for stage in ["kernel", "ring", "cache_eviction"] {
            #expect(text.contains(#"flowlog_drops_total{stage="\#(stage)"} 0"#))
        }
    }

    @Test("running totals add only their growth; a total that restarts lower sets a new baseline")
    func cumulativeDrops() {
        let (metrics, registry) = make()
        metrics.observeDrops(.kernel, total: 10)
        metrics.observeDrops(.kernel, total: 25)
        metrics.observeDrops(.kernel, total: 25)
        metrics.observeDrops(.kernel, total: 3)   // a reopened handle counts from 0 again
        metrics.observeDrops(.kernel, total: 5)
        #expect(registry.emitToString().contains(#"flowlog_drops_total{stage="kernel"} 27"#))
    }

    @Test("ring statistics feed ring drops and occupancy")
    func ringObservation() {
        let (metrics, registry) = make()
        let ring = SPSCRing<Int>(minimumCapacity: 4, overflowPolicy: .dropNewest)
        _ = ring.push(contentsOf: Array(0..<10))
        metrics.observe(ring: ring.statistics)
        let text = registry.emitToString()
        #expect(text.contains(#"flowlog_drops_total{stage="ring"} 6"#))
        #expect(text.contains("flowlog_ring_occupancy 4"))
    }

    @Test("policy evaluation time lands in microsecond buckets, per flow")
    func evaluationHistogram() {
        let (metrics, registry) = make()
        metrics.recordPolicyEvaluation(nanoseconds: 3_000_000, flows: 1_000)  // 3 µs a flow
        metrics.recordPolicyEvaluation(nanoseconds: 0, flows: 0)              // ignored
        let text = registry.emitToString()
        #expect(text.contains("flowlog_policy_evaluation_seconds_count 1"))
        #expect(text.contains(#"flowlog_policy_evaluation_seconds_bucket{le="0.000002"} 0"#))
        #expect(text.contains(#"flowlog_policy_evaluation_seconds_bucket{le="0.000005"} 1"#))
    }

    @Test("store and reload counters")
    func storeAndReloads() {
        let (metrics, registry) = make()
        metrics.recordSegmentSealed()
        metrics.recordSegmentSealed()
        metrics.recordBytesWritten(4_096)
        metrics.recordReload(.ok)
        metrics.recordActiveFlows(321)
        let text = registry.emitToString()
        #expect(text.contains("flowlog_segments_written_total 2"))
        #expect(text.contains("flowlog_bytes_written_total 4096"))
        #expect(text.contains(#"flowlog_manifest_reloads_total{result="ok"} 1"#))
        #expect(text.contains("flowlog_flow_cache_flows 321"))
    }
}
