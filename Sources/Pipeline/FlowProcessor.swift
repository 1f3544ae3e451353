#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Capture
import FlowCore
import Policy
import SegmentStore

/// The consumer side of the ring: annotates each batch of flows with the policy engine (when a
/// cluster is loaded), stores it (when a data directory is given) and hands it to an output.
///
/// Runs on one thread. The engine can be replaced between batches (`install(_:)`, called from the
/// same thread by whoever polls for reloads), so a reload never races an evaluation.
final class FlowProcessor {
    private(set) var engine: PolicyEngine?
    let writer: SegmentWriter?
    let node: String
    let metrics: PipelineMetrics?
    /// The DNS answers the capture threads saw, applied here in stream order; nil when names
    /// are not resolved.
    let names: DNSNameCache?
    private(set) var statistics = ProcessingStatistics()
    private var annotated: [AnnotatedFlow] = []
    /// The batch's DNS names, by flow (kept to spare an allocation per batch).
    private var found: [DNSNameCache.Lookup] = []

    init(engine: PolicyEngine?, writer: SegmentWriter?, node: String, metrics: PipelineMetrics? = nil,
         names: DNSNameCache? = nil) {
        self.engine = engine
        self.writer = writer
        self.node = node
        self.metrics = metrics
        self.names = names
        annotated.reserveCapacity(4096)
    }

    /// Swaps in a new engine (a reloaded cluster); its decision cache starts empty.
    func install(_ newEngine: PolicyEngine) {
        engine = newEngine
    }

    /// Annotates, stores and outputs `flows`, leaving it empty. A store error is thrown after
    /// the batch was counted; what the writer had accepted before stays on disk.
    func process<Output: AnnotatedFlowSink>(_ flows: inout [FlowRecord], output: inout Output) throws {
        var none: [AddressResolution] = []
        try process(&flows, resolutions: &none, output: &output)
    }

    /// The same, applying the DNS answers placed among `flows` (`position` an index into it, in
    /// order) each just before the flow at its position; leaves both empty.
    func process<Output: AnnotatedFlowSink>(_ flows: inout [FlowRecord], resolutions: inout [AddressResolution],
                                            output: inout Output) throws {
        if let names, !resolutions.isEmpty {
            lookUp(flows, among: resolutions, in: names)
        }
        resolutions.removeAll(keepingCapacity: true)
        guard !flows.isEmpty else { return }
        let count = flows.count
        statistics.flowsIn += UInt64(count)
        if let names {
            // Per flow: the destination's names for the record, and every client's for policy.
            let started = monotonicNanoseconds()
            if found.isEmpty { names.lookup(flows[...], appendingTo: &found) }
            if let engine {
                // The engine's lookahead, three stages (`PolicyEngine+Lookahead`).
                let ahead = PolicyEngine.prefetchDistance, found2 = PolicyEngine.foundPrefetchDistance
                let decided = PolicyEngine.decidedPrefetchDistance
                for i in flows.indices {
                    if i + ahead < flows.count { engine.prefetch(flows[i + ahead], destinationDomains: found[i + ahead].forNode) }
                    if i + found2 < flows.count { engine.prefetchFound(flows[i + found2], destinationDomains: found[i + found2].forNode) }
                    if i + decided < flows.count { engine.prefetchDecided(flows[i + decided], destinationDomains: found[i + decided].forNode) }
                    annotated.append(AnnotatedFlow(flow: flows[i], annotation: engine.annotate(flows[i], destinationDomains: found[i].forNode),
                                                   node: node, destinationDomains: found[i].forClient))
                }
            } else {
                for (flow, found) in zip(flows, found) {
                    annotated.append(AnnotatedFlow(flow: flow, annotation: nil, node: node, destinationDomains: found.forClient))
                }
            }
            if engine != nil {
                let spent = monotonicNanoseconds() &- started
                statistics.evaluationNanoseconds &+= spent
                metrics?.recordPolicyEvaluation(nanoseconds: spent, flows: count)
            }
        } else if let engine {
            let started = monotonicNanoseconds()
            engine.annotate(&flows, into: &annotated, node: node)
            let spent = monotonicNanoseconds() &- started
            statistics.evaluationNanoseconds &+= spent
            metrics?.recordPolicyEvaluation(nanoseconds: spent, flows: count)
        } else {
            for flow in flows { annotated.append(AnnotatedFlow(flow: flow, annotation: nil, node: node)) }
        }
        flows.removeAll(keepingCapacity: true)
        found.removeAll(keepingCapacity: true)
        var batchVerdicts = (0, 0, 0)
        for record in annotated {
            switch record.annotation?.verdict ?? .unknown {
            case .unknown: batchVerdicts.0 += 1
            case .allow: batchVerdicts.1 += 1
            case .deny: batchVerdicts.2 += 1
            }
        }
        statistics.flowsUnknown += UInt64(batchVerdicts.0)
        statistics.flowsAllowed += UInt64(batchVerdicts.1)
        statistics.flowsDenied += UInt64(batchVerdicts.2)
        if let metrics {
            metrics.recordFlows(batchVerdicts.0, verdict: .unknown)
            metrics.recordFlows(batchVerdicts.1, verdict: .allow)
            metrics.recordFlows(batchVerdicts.2, verdict: .deny)
        }
        defer { annotated.removeAll(keepingCapacity: true) }
        if let writer {
            let before = writer.statistics
            if output.readsFlows {
                try writer.append(annotated)
            } else {
                try writer.append(taking: &annotated)
            }
            noteWriterProgress(since: before)
        }
        output.accept(&annotated)
    }

    /// Looks up the names of every flow into `found`, applying each answer just before the flow
    /// at its position (those after the last flow at the end).
    private func lookUp(_ flows: [FlowRecord], among resolutions: [AddressResolution], in names: DNSNameCache) {
        found.removeAll(keepingCapacity: true)
        var from = 0
        var next = 0
        while true {
            while next < resolutions.count, resolutions[next].position <= UInt64(from) {
                names.record(resolutions[next])
                next += 1
            }
            let to = next < resolutions.count ? min(Int(clamping: resolutions[next].position), flows.count) : flows.count
            if to > from { names.lookup(flows[from..<to], appendingTo: &found) }
            from = to
            if from >= flows.count && next >= resolutions.count { return }
            if from >= flows.count {
                // Answers placed past the batch's last flow: theirs is the next batch.
                for resolution in resolutions[next...] { names.record(resolution) }
                return
            }
        }
    }

    /// Closes the open block so what was written so far is durable and visible to queries.
    func flush() throws {
        guard let writer else { return }
        let before = writer.statistics
        try writer.flush()
        noteWriterProgress(since: before)
    }

    /// Flushes and seals the open segment.
    func close() throws {
        guard let writer else { return }
        let before = writer.statistics
        try writer.close()
        noteWriterProgress(since: before)
    }

    var writerStatistics: WriterStatistics? { writer?.statistics }

    private func noteWriterProgress(since before: WriterStatistics) {
        guard let metrics, let after = writer?.statistics else { return }
        if after.bytesWritten > before.bytesWritten {
            metrics.recordBytesWritten(Int(after.bytesWritten - before.bytesWritten))
        }
        if after.segmentsSealed > before.segmentsSealed {
            for _ in before.segmentsSealed..<after.segmentsSealed { metrics.recordSegmentSealed() }
        }
    }
}

/// What the consumer stage counted.
public struct ProcessingStatistics: Hashable, Sendable {
    public var flowsIn: UInt64 = 0
    public var flowsAllowed: UInt64 = 0
    public var flowsDenied: UInt64 = 0
    /// Flows without a verdict: no cluster loaded, or neither side a known endpoint.
    public var flowsUnknown: UInt64 = 0
    /// Time spent in the policy engine.
    public var evaluationNanoseconds: UInt64 = 0
    public init() {}
}

/// An output that discards: the default when flows are only stored.
public struct DiscardingFlowSink: AnnotatedFlowSink {
    public init() {}
    public var readsFlows: Bool { false }
    public mutating func accept(_ batch: inout [AnnotatedFlow]) { batch.removeAll(keepingCapacity: true) }
}
