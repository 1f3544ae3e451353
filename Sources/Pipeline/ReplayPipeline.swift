import Capture
import FlowCore
import FlowRing
import Policy
import SegmentStore
import Synchronization

/// Offline replay through every stage: capture and the flow cache on one thread, policy and
/// store on the calling thread, joined by the ring (the store encodes blocks on a third).
///
/// The ring waits when full (a replay must not lose flows), so the figures describe the slower
/// of the two threads. Truncated or damaged captures are reported in the result and the replay
/// goes on with what was read; files that cannot be opened fail before anything runs.
public enum ReplayPipeline {
    public struct Configuration {
        public var files: [String]
        public var cache = FlowCacheConfiguration()
        /// The cluster to annotate with; nil stores flows unannotated.
        public var cluster: Cluster?
        /// Manifests to load instead of `cluster`: loaded on the calling thread while the
        /// capture thread already reads (the ring holds its flows meanwhile), so loading and
        /// capture overlap. A manifest error stops the replay before anything is stored.
        public var clusterManifests: [String] = []
        public var policyOptions = PolicyOptions(preparesEndpoints: true)
        /// Where to store flows; nil annotates (and outputs) without storing.
        public var dataDirectory: String?
        public var store = StoreConfiguration()
        /// Told of every sealed and retired segment (the evidence recorder, with --signing-key).
        public var sealObserver: (any SealObserver)?
        /// The reporting node's name written with every flow.
        public var node = ""
        /// Ring slots (rounded up to a power of two) and the batch size on both sides.
        public var ringCapacity = Configuration.defaultRingCapacity
        /// Enough to hold what the capture thread yields while a large cluster loads (it reads
        /// the 200,000-flow capture in about a third of a second; loading 4,096 pods
        /// and 1,000 policies takes two thirds of that), so capture never waits for loading to
        /// end. A slot is backed by memory only once a flow has used it.
        public static let defaultRingCapacity = 1 << 18
        /// Slots for DNS answers beside `ringCapacity` flow slots: half as many. While the
        /// cluster loads the deciding thread takes neither flows nor answers, and the capture
        /// thread must not stop for a full answer ring while the flow ring has room: the large
        /// cluster's capture holds an answer per five flows (37,588 for 200,001), and the
        /// agent's sizing (a sixteenth, at most 16,384) stopped that capture for 0.2 s, a third
        /// of its run. A slot is backed by memory only once an answer has used it.
        static func answerCapacity(forFlows flowCapacity: Int) -> Int { max(flowCapacity / 2, 1 << 10) }
        public var batchSize = 1024
        /// Decode DNS responses and annotate flows with their destination's names
        /// (`dest_domains`, and the names `destination.domains` rules test).
        public var resolvesDomains = true
        /// For a process that exits once the replay returns (`flowlog replay`): the policy
        /// engine, its cluster and the store encoder's tables are left for the exit to reclaim
        /// instead of being freed object by object, which for a large cluster is tens of
        /// milliseconds on one core after the last flow was stored. Leave it false in anything
        /// that replays more than once.
        public var keepsStateUntilExit = false

        public init(files: [String]) {
            self.files = files
        }
    }

    public struct Result: Sendable {
        public var capture: CaptureStatistics
        public var ring: RingStatistics
        /// The DNS answers' ring beside the flows' (`ring`).
        public var answers: RingStatistics
        public var processing: ProcessingStatistics
        /// nil when nothing was stored.
        public var writer: WriterStatistics?
        public var elapsedNanoseconds: UInt64
        public var packetsPerSecond: Double {
            elapsedNanoseconds == 0 ? 0 : Double(capture.packets) * 1e9 / Double(elapsedNanoseconds)
        }
    }

    public struct Progress: Sendable {
        public var file: Int
        public var fileCount: Int
        public var capture: FlowCapture.Progress
    }

    /// Runs the replay. `output` receives every annotated flow after it was stored (pass
    /// `DiscardingFlowSink()` when only the store matters). `progress` is called on the capture
    /// thread.
    public static func run<Output: AnnotatedFlowSink>(
        _ configuration: Configuration, output: inout Output,
        progress: (@Sendable (Progress) -> Void)? = nil
    ) throws -> Result {
        let opened = Swift.Result<[PacketSource], Error> {
            let sources = try configuration.files.map { try PacketSource(offlinePath: $0) }
            for source in sources where !source.linkType.isSupported {
                throw FlowlogError(.unsupportedFormat, "link type \(source.linkType) is not supported", location: .init(file: source.name))
            }
            return sources
        }
        let sources: [PacketSource]
        switch opened {
        case .success(let files):
            sources = files
        case .failure(let error):
            // A bad manifest is reported before a bad capture, as when manifests load first.
            if !configuration.clusterManifests.isEmpty { _ = try ClusterLoader.load(paths: configuration.clusterManifests) }
            throw error
        }
        let channel = FlowChannel(capacity: configuration.ringCapacity,
                                  answerCapacity: Configuration.answerCapacity(forFlows: configuration.ringCapacity),
                                  overflowPolicy: .wait)

        let started = monotonicNanoseconds()
        let producer = CaptureThreadState()
        let batchSize = configuration.batchSize
        let cacheConfiguration = configuration.cache
        let resolvesDomains = configuration.resolvesDomains
        let thread: BackgroundThread
        do {
            thread = try BackgroundThread(name: "flowlog-capture") {
                var capture = FlowCapture(cache: cacheConfiguration, batchSize: batchSize)
                if resolvesDomains { capture.observeDNS() }
                var sink = RingFlowSink(channel: channel)
                for (number, source) in sources.enumerated() {
                    if producer.isStopped { break }
                    let report = progress.map { report in { (p: FlowCapture.Progress) in report(Progress(file: number, fileCount: sources.count, capture: p)) } }
                    // A read error is already in the statistics; the next file goes on.
                    _ = try? capture.run(source, into: &sink, progress: report)
                }
                capture.finish(into: &sink)
                producer.finish(with: capture.statistics)
                channel.close()
            }
        } catch let failure as SystemCallError {
            throw FlowlogError(.libraryCall, "cannot start the capture thread: \(failure.message)", call: failure.call)
        }

        let processor: FlowProcessor
        do {
            // The store opens (recovery, retention, a synced manifest: mostly waiting for the
            // disk) on a thread of its own while the manifests load on this one.
            let opening = try configuration.dataDirectory.map {
                try StoreOpening(directory: $0, configuration: configuration.store, sealObserver: configuration.sealObserver)
            }
            let cluster: Cluster?
            do {
                cluster = configuration.clusterManifests.isEmpty
                    ? configuration.cluster : try ClusterLoader.load(paths: configuration.clusterManifests)
            } catch {
                // A bad manifest is reported, not a store error behind it, and leaves no store.
                opening?.abandon()
                throw error
            }
            let engine = cluster.map { PolicyEngine(cluster: $0, options: configuration.policyOptions) }
            let writer = try opening?.writer()
            // The deciding thread's own: answers reach it through the channel, in stream order.
            let names = configuration.resolvesDomains ? DNSNameCache(retention: DNSNameCache.retention(for: cacheConfiguration)) : nil
            processor = FlowProcessor(engine: engine, writer: writer, node: configuration.node, names: names)
        } catch {
            producer.stop()
            for source in sources { source.breakLoop() }
            channel.close()
            thread.join()
            throw error
        }

        var batch: [FlowRecord] = []
        batch.reserveCapacity(batchSize)
        var resolutions: [AddressResolution] = []
        var failure: Error?
        while channel.take(into: &batch, resolutions: &resolutions, maximum: batchSize) > 0 {
            do {
                try processor.process(&batch, resolutions: &resolutions, output: &output)
            } catch {
                // Stop reading: the store cannot take more. Let the producer finish quickly.
                failure = error
                producer.stop()
                for source in sources { source.breakLoop() }
                channel.close()
                break
            }
        }
        thread.join()
        if failure == nil {
            do { try processor.close() } catch { failure = error }
        }
        if configuration.keepsStateUntilExit {
            // A reference in memory that is never freed: the exit reclaims it with the rest.
            UnsafeMutablePointer<FlowProcessor>.allocate(capacity: 1).initialize(to: processor)
        }
        if let failure { throw failure }
        return Result(capture: producer.statistics, ring: channel.flows.statistics, answers: channel.resolutions.statistics,
                      processing: processor.statistics,
                      writer: processor.writerStatistics, elapsedNanoseconds: monotonicNanoseconds() &- started)
    }
}

/// Hand-over of the capture thread's final statistics and a stop request from the consumer.
final class CaptureThreadState: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let finalStatistics = Mutex(CaptureStatistics())

    var isStopped: Bool { stopped.load(ordering: .acquiring) }
    func stop() { stopped.store(true, ordering: .releasing) }
    func finish(with statistics: CaptureStatistics) { finalStatistics.withLock { $0 = statistics } }
    var statistics: CaptureStatistics { finalStatistics.withLock { $0 } }
}
