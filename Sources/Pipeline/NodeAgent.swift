#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Atomics
import Audit
import Evidence
import Foundation
import Capture
import FlowCore
import FlowRing
import Logging
import Policy
import Prometheus
import SegmentStore
import ServiceLifecycle
import Synchronization

/// The node-local agent: live capture on every configured interface, policy annotation, the
/// store, metrics and manifest reloads, until graceful shutdown (SIGTERM/SIGINT through
/// `ServiceGroup`).
///
/// Threads: one per interface runs libpcap, decoding and that interface's flow cache and pushes
/// finished flows, and the DNS answers seen among them, into its own channel (single producer,
/// single consumer rings; full rings drop and count, capture never blocks); one processing thread
/// drains every channel, applies the answers in order, names, annotates, stores, and swaps
/// in a reloaded policy engine between batches; the manifest watcher and the metrics endpoint
/// have a thread each. Shutdown breaks the capture loops, flushes every flow cache into its ring,
/// drains the rings, seals the open segment and returns.
///
/// `@unchecked Sendable`: shared state is immutable, atomic (`stopping`, `failedInterfaces`) or
/// behind a `Mutex` (`EngineHandOff`).
public final class NodeAgent: Service, @unchecked Sendable {
    public let configuration: AgentConfiguration
    let logger: Logger
    let registry: PrometheusCollectorRegistry
    let metrics: PipelineMetrics
    /// How often the processing thread closes the open block so recent flows become durable and
    /// visible to queries even on a quiet node (`store.flush-interval`).
    public var blockFlushInterval: Duration { configuration.store.flushInterval }

    private let pendingEngine = EngineHandOff()
    /// Wakes the processing thread when a capture thread handed flows on (or closed its ring)
    /// and when a reloaded engine waits.
    private let doorbell = RingDoorbell()
    private let stopping = ManagedAtomic<Bool>(false)
    private let failedInterfaces = ManagedAtomic<Int>(0)
    /// Whether the processing thread frees its state (the policy engine with its decision
    /// caches, the DNS name cache, the store writer) when it ends. `flowlog agent` clears it:
    /// its process exits as soon as the agent stops, the kernel takes the memory back at
    /// once, and freeing the large cluster's engine and caches object by object was a tenth
    /// of the CPU the stop costs (the final flush included). Embedders and tests keep the default.
    public let freesStateWhenStopped: Bool

    /// `configuration` must be validated (`AgentConfiguration.validated()`).
    public init(configuration: AgentConfiguration, logger: Logger, registry: PrometheusCollectorRegistry, metrics: PipelineMetrics,
                freesStateWhenStopped: Bool = true) {
        self.configuration = configuration
        self.freesStateWhenStopped = freesStateWhenStopped
        self.logger = logger
        self.registry = registry
        self.metrics = metrics
    }

    public func run() async throws {
        let started = try start()
        defer { started.watcher?.stop() }
        let server: AgentHTTPServer?
        do {
            server = try await startServer(started)
        } catch {
            stopThreads(started)
            started.follower?.stop()
            try? started.ingestor?.close()
            throw error
        }
        await withGracefulShutdownHandler {
            var rounds = 0
            while !stopping.load(ordering: .acquiring) {
                if failedInterfaces.load(ordering: .relaxed) == started.captures.count {
                    stopping.store(true, ordering: .releasing)
                    break
                }
                try? await Task.sleep(for: .milliseconds(200))
                rounds += 1
                if rounds % 50 == 0 { keepEvidenceCurrent(started) }
            }
        } onGracefulShutdown: { [stopping] in
            stopping.store(true, ordering: .releasing)
        }
        logger.info("shutting down: flushing flow caches and sealing the open segment")
        stopThreads(started)
        started.follower?.stop()
        await server?.stop()
        do { try started.ingestor?.close() } catch {
            logger.error("sealing the open audit file failed", metadata: ["error": "\(error)"])
        }
        let summary = started.processingState.summary
        logger.info("stopped", metadata: [
            "flows": "\(summary.processing.flowsIn)", "allow": "\(summary.processing.flowsAllowed)",
            "deny": "\(summary.processing.flowsDenied)", "unknown": "\(summary.processing.flowsUnknown)",
            "ring_dropped": "\(started.captures.reduce(0) { $0 + $1.channel.flows.statistics.dropped })",
            "dns_answers_dropped": "\(started.captures.reduce(0) { $0 + $1.channel.resolutions.statistics.dropped })",
            "bytes_written": "\(summary.writer?.bytesWritten ?? 0)",
        ])
        if let failure = summary.failure { throw failure }
        if failedInterfaces.load(ordering: .relaxed) == started.captures.count {
            throw FlowlogError(.io, "every capture interface failed; see the log")
        }
    }

    /// Breaks the capture loops, lets every flow cache drain into its ring, and waits for the
    /// processing thread to seal the open segment.
    private func stopThreads(_ started: Started) {
        for capture in started.captures { capture.source.breakLoop() }
        for capture in started.captures { capture.thread.join() }
        started.processing.join()
    }

    /// The one HTTP server: metrics, health and (when configured) the audit webhook.
    private func startServer(_ started: Started) async throws -> AgentHTTPServer? {
        let c = configuration
        guard let text = c.metrics.address else { return nil }
        var limits = c.metrics.limits
        limits.maximumWebhookBodyBytes = c.audit.webhookMaxBody
        var token: String?
        if let file = c.audit.bearerTokenFile {
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8),
                  case let trimmed = contents.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else {
                throw FlowlogError(.io, "cannot read a bearer token from the file", location: .init(file: file, field: "audit.bearer-token-file"))
            }
            token = trimmed
        }
        let tls = try c.metrics.tls.map { try AgentHTTPServer.TLS(files: $0) }
        let server = try await AgentHTTPServer.start(
            address: ListenAddress(parsing: text), allowNonLoopback: c.metrics.allowNonLoopback, registry: registry,
            webhook: c.audit.webhook ? started.ingestor : nil, bearerToken: token, tls: tls, limits: limits, logger: logger)
        let base = "\(server.scheme)://\(server.address)"
        logger.info("http", metadata: ["metrics": "\(base)/metrics", "webhook": "\(c.audit.webhook ? "\(base)/audit/webhook" : "off")"])
        return server
    }

    /// Digests for quiet periods and the audit file's periodic seal (every 10 s a look).
    private func keepEvidenceCurrent(_ started: Started) {
        let interval = configuration.evidence.digestInterval
        do {
            try started.ingestor?.sealIfDue()
            try started.flowsRecorder?.digestIfDue(interval: interval)
            try started.auditRecorder?.digestIfDue(interval: interval)
        } catch {
            logger.error("writing evidence failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Start-up

    struct InterfaceCapture {
        let source: PacketSource
        let channel: FlowChannel
        let thread: BackgroundThread
    }

    struct Started {
        var captures: [InterfaceCapture]
        var processing: BackgroundThread
        var processingState: ProcessingState
        var watcher: ManifestWatcher?
        var flowsRecorder: EvidenceRecorder?
        var auditRecorder: EvidenceRecorder?
        var ingestor: AuditIngestor?
        var follower: AuditLogFollower?
    }

    /// Loads the cluster, opens every interface and the store (any failure here is fatal: the
    /// agent must not run half-configured), then starts the threads. A data directory this
    /// start created is removed again when the start fails, so a mistyped flag leaves nothing.
    private func start() throws -> Started {
        let c = configuration
        let manifests = c.cluster.manifests
        let engine: PolicyEngine? = try manifests.isEmpty ? nil : PolicyEngine(cluster: ClusterLoader.load(paths: manifests), options: PolicyOptions(preparesEndpoints: true))
        if let engine {
            logger.info("cluster loaded", metadata: ["manifests": "\(manifests)", "policies": "\(engine.cluster.policies.count)"])
            logWarnings(of: engine.cluster)
        }
        let live = LiveCaptureConfiguration(snaplen: c.capture.snaplen, promiscuous: c.capture.promiscuous,
                                            bufferSize: c.capture.bufferSize, filter: c.capture.filter,
                                            directRing: c.capture.directRing)
        let sources = try c.capture.interfaces.map { try PacketSource(liveInterface: $0, configuration: live) }
        var createdDirectory: String?
        if let directory = c.dataDirectory, access(directory, F_OK) != 0 { createdDirectory = directory }
        do {
            return try start(engine: engine, sources: sources)
        } catch {
            if let createdDirectory { Self.removeTree(createdDirectory) }
            throw error
        }
    }

    /// Removes a directory this process created and what is in it (no subdirectories).
    private static func removeTree(_ path: String) {
        if let handle = opendir(path) {
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(handle)
        }
        rmdir(path)
    }

    private func start(engine: PolicyEngine?, sources: [PacketSource]) throws -> Started {
        let c = configuration
        let manifests = c.cluster.manifests
        let key = c.evidence.signingKey
        let flowsRecorder = try key.flatMap { key in
            try c.dataDirectory.map { try EvidenceRecorder(store: .flows, directory: $0, signingKeyPath: key) }
        }
        let auditRecorder = try key.flatMap { key in
            try c.audit.directory.map { try EvidenceRecorder(store: .audit, directory: $0, signingKeyPath: key) }
        }
        let ingestor = try c.audit.directory.map {
            try AuditIngestor(directory: $0, observer: auditRecorder, sealInterval: c.evidence.digestInterval)
        }
        let writer = try c.dataDirectory.map {
            try SegmentWriter(directory: $0, configuration: c.storeConfiguration, sealObserver: flowsRecorder)
        }
        if let writer {
            let recovery = writer.statistics.recovery
            logger.info("store open", metadata: ["directory": "\(writer.directory)", "recovery": "\(recovery)"])
        }
        let channels = sources.map { _ in FlowChannel(capacity: c.ring.capacity, overflowPolicy: c.ring.overflow) }
        if let channel = channels.first, channel.flows.capacity != c.ring.capacity {
            logger.notice("ring capacity rounded up to a power of two",
                          metadata: ["configured": "\(c.ring.capacity)", "capacity": "\(channel.flows.capacity)"])
        }
        let node = c.nodeName ?? hostName()
        // The processing thread's own: every interface's DNS answers reach it beside its flows.
        let names = DNSNameCache(retention: DNSNameCache.retention(for: c.flowCacheConfiguration))
        let processor = FlowProcessor(engine: engine, writer: writer, node: node, metrics: metrics, names: names)
        let state = ProcessingState()
        let processing = try thread("processing", named: "flowlog-process") { [self] in
            process(channels: channels, processor: processor, state: state)
        }
        var captures: [InterfaceCapture] = []
        for (source, channel) in zip(sources, channels) {
            let t = try thread("capture \(source.name)", named: Self.captureThreadName(source.name)) { [self] in
                capture(source, into: channel)
            }
            captures.append(InterfaceCapture(source: source, channel: channel, thread: t))
            logger.info("capturing", metadata: ["interface": "\(source.name)", "link": "\(source.linkType)",
                                                "filter": "\(c.capture.filter ?? "")",
                                                "reader": "\(source.readsRingDirectly ? "kernel ring" : "libpcap")"])
        }
        if let ingestor, !manifests.isEmpty { recordManifestVersions(ingestor, node: node) }
        let follower = try ingestor.flatMap { ingestor in
            try c.audit.logFile.map { try AuditLogFollower(path: $0, ingestor: ingestor, logger: logger) }
        }
        let watcher = try manifests.isEmpty ? nil : ManifestWatcher(paths: manifests, interval: c.cluster.pollInterval) { [self] change in
            reload(after: change, ingestor: ingestor, node: node)
        }
        return Started(captures: captures, processing: processing, processingState: state, watcher: watcher,
                       flowsRecorder: flowsRecorder, auditRecorder: auditRecorder, ingestor: ingestor, follower: follower)
    }

    private func thread(_ name: String, named threadName: String, _ body: @escaping () -> Void) throws -> BackgroundThread {
        do {
            return try BackgroundThread(name: threadName, body)
        } catch let failure as SystemCallError {
            throw FlowlogError(.libraryCall, "cannot start the \(name) thread: \(failure.message)", call: failure.call)
        }
    }

    // MARK: - Threads

    /// What `top -H` and `perf` call the capture thread of `interface`: `cap-` and as much of the
    /// interface's name as fits the 15 bytes a thread name takes, so each interface's share of
    /// the CPU is visible on a node that captures several.
    static func captureThreadName(_ interface: String) -> String {
        var name = "cap-"
        for character in interface {
            guard name.utf8.count + String(character).utf8.count <= 15 else { break }
            name.append(character)
        }
        return name
    }

    /// One interface: capture until `breakLoop`, then flush the flow cache into the ring (waiting
    /// for room: the processing thread is draining) and close it.
    private func capture(_ source: PacketSource, into channel: FlowChannel) {
        var flowCapture = FlowCapture(cache: configuration.flowCacheConfiguration)
        flowCapture.observeDNS()
        flowCapture.progressInterval = 512
        var sink = RingFlowSink(channel: channel, doorbell: doorbell)
        var reportedPackets: UInt64 = 0, reportedBytes: UInt64 = 0
        var kernelRead: UInt64 = 0
        let metrics = self.metrics
        do {
            try flowCapture.run(source, into: &sink) { progress in
                metrics.recordCaptured(packets: Int(progress.packets &- reportedPackets),
                                       bytes: Int(progress.wireBytes &- reportedBytes))
                reportedPackets = progress.packets
                reportedBytes = progress.wireBytes
                metrics.recordActiveFlows(progress.activeFlows)
                metrics.observeDrops(.cacheEviction, total: progress.evictions)
                // libpcap's statistics on Linux open and read the interface's sysfs counters
                // (two files per call): read every 512 packets, that was a tenth of the capture
                // thread's CPU. Once a second is as fresh as any scrape.
                let now = monotonicNanoseconds()
                if now &- kernelRead >= Self.kernelStatisticsInterval {
                    kernelRead = now
                    if let kernel = source.kernelStatistics() { metrics.observeDrops(.kernel, total: kernel.dropped) }
                }
            }
        } catch {
            failedInterfaces.wrappingIncrement(ordering: .relaxed)
            logger.error("capture failed", metadata: ["interface": "\(source.name)", "error": "\(error)"])
        }
        sink.drainMode = true
        flowCapture.finish(into: &sink)
        let statistics = flowCapture.statistics
        metrics.recordCaptured(packets: Int(statistics.packets &- reportedPackets),
                               bytes: Int(statistics.wireBytes &- reportedBytes))
        metrics.observeDrops(.cacheEviction, total: statistics.evictions)
        if let kernel = statistics.kernel { metrics.observeDrops(.kernel, total: kernel.dropped) }
        logger.info("capture stopped", metadata: [
            "interface": "\(source.name)", "packets": "\(statistics.packets)", "flows": "\(statistics.flowsEmitted)",
            "kernel_dropped": "\(statistics.kernel?.dropped ?? 0)", "evicted": "\(statistics.evictions)",
        ])
        channel.close()
        doorbell.ring()
    }

    /// How often a capture thread reads the kernel's drop counters for the metrics.
    static let kernelStatisticsInterval: UInt64 = 1_000_000_000

    /// Drains every channel round-robin until all are closed and empty.
    private func process(channels: [FlowChannel], processor: FlowProcessor, state: ProcessingState) {
        var batch: [FlowRecord] = []
        batch.reserveCapacity(1024)
        var resolutions: [AddressResolution] = []
        var output = DiscardingFlowSink()
        var lastFlush = monotonicNanoseconds()
        let flushEvery = blockFlushInterval.wholeNanoseconds
        var failure: FlowlogError?
        while true {
            if let engine = pendingEngine.take() {
                processor.install(engine)
                logger.info("policy engine replaced", metadata: ["policies": "\(engine.cluster.policies.count)"])
            }
            var moved = 0, fullBatch = false
            for channel in channels {
                guard channel.tryTake(into: &batch, resolutions: &resolutions, maximum: 1024) > 0 else { continue }
                let n = batch.count
                moved += n + resolutions.count
                fullBatch = fullBatch || n == 1024
                do {
                    try processor.process(&batch, resolutions: &resolutions, output: &output)
                } catch {
                    batch.removeAll(keepingCapacity: true)
                    resolutions.removeAll(keepingCapacity: true)
                    logger.error("store write failed; flows of this batch are lost", metadata: ["error": "\(error)", "flows": "\(n)"])
                    failure = error as? FlowlogError ?? FlowlogError(.io, "\(error)")
                }
            }
            let now = monotonicNanoseconds()
            if now &- lastFlush >= flushEvery {
                lastFlush = now
                do { try processor.flush() } catch {
                    logger.error("store flush failed", metadata: ["error": "\(error)"])
                }
                for channel in channels { metrics.observe(ring: channel.flows.statistics) }
            }
            if moved == 0, channels.allSatisfy(\.isFinished) { break }
            if !fullBatch {
                // With traffic, come back after `pace` (a capture thread rings early only when a
                // channel fills); idle, sleep until the next flush or the next push. Polling
                // every millisecond cost a thousand wake-ups a second on a quiet node, and
                // waking for every pushed batch a futex call on both sides per few hundred flows.
                let sinceFlush = monotonicNanoseconds() &- lastFlush
                let untilFlush = max(flushEvery > sinceFlush ? flushEvery &- sinceFlush : 0, 1_000_000)
                if moved > 0 {
                    doorbell.wait(.pacing, nanoseconds: min(RingDoorbell.pace, untilFlush)) {
                        pendingEngine.isOffered || channels.contains { $0.isFilling || ($0.flows.isClosed && $0.hasWaiting) }
                    }
                } else {
                    doorbell.wait(.idle, nanoseconds: untilFlush) { pendingEngine.isOffered || channels.contains(where: \.hasWaiting) }
                }
            }
        }
        for channel in channels { metrics.observe(ring: channel.flows.statistics) }
        do { try processor.close() } catch {
            logger.error("sealing the open segment failed", metadata: ["error": "\(error)"])
            failure = error as? FlowlogError ?? FlowlogError(.io, "\(error)")
        }
        state.finish(ProcessingState.Summary(processing: processor.statistics, writer: processor.writerStatistics, failure: failure))
        if !freesStateWhenStopped {
            // Left for the process's exit to reclaim (see `freesStateWhenStopped`).
            _ = Unmanaged.passRetained(processor)
        }
    }

    // MARK: - Reload

    /// Called on the watcher's thread: builds the new engine there (the expensive part), then
    /// hands it to the processing thread. A manifest set that does not load is rejected and the
    /// engine in force stays.
    private func reload(after change: ManifestChange, ingestor: AuditIngestor?, node: String) {
        do {
            let cluster = try ClusterLoader.load(paths: configuration.cluster.manifests)
            pendingEngine.offer(PolicyEngine(cluster: cluster, options: PolicyOptions(preparesEndpoints: true)))
            doorbell.ring()
            metrics.recordReload(.ok)
            logger.info("cluster manifests reloaded", metadata: ["change": "\(change)", "policies": "\(cluster.policies.count)"])
            logWarnings(of: cluster)
            if let ingestor { recordManifestVersions(ingestor, node: node) }
        } catch {
            metrics.recordReload(.failed)
            logger.error("cluster manifests rejected; the previous version stays in force",
                         metadata: ["change": "\(change)", "error": "\(error)"])
        }
    }
}

extension NodeAgent {
    /// The manifests in force as versions by `file:<path>` in the audit store, so the agent's own
    /// policy changes are in the same history as the API server's.
    func recordManifestVersions(_ ingestor: AuditIngestor, node: String) {
        do {
            let objects = try ManifestObjects.read(paths: configuration.cluster.manifests)
            let made = try ingestor.recordManifests(objects.map { ($0.path, $0.key, $0.object) }, node: node)
            if made > 0 { logger.info("manifest versions recorded", metadata: ["versions": "\(made)"]) }
        } catch {
            logger.error("recording manifest versions failed", metadata: ["error": "\(error)"])
        }
    }

    /// At most this many manifest warnings are logged per load, then a count of the rest.
    static let loggedWarningLimit = 20

    func logWarnings(of cluster: Cluster) {
        for warning in cluster.warnings.prefix(Self.loggedWarningLimit) {
            logger.warning("cluster manifest warning", metadata: ["warning": "\(warning)"])
        }
        if cluster.warnings.count > Self.loggedWarningLimit {
            logger.warning("more cluster manifest warnings", metadata: ["count": "\(cluster.warnings.count - Self.loggedWarningLimit)"])
        }
    }
}

/// This machine's host name: the default node name.
func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A policy engine waiting to be installed by the processing thread.
final class EngineHandOff: Sendable {
    private let engine = Mutex<PolicyEngine?>(nil)
    func offer(_ new: PolicyEngine) { engine.withLock { $0 = new } }
    func take() -> PolicyEngine? { engine.withLock { $0.take() } }
    var isOffered: Bool { engine.withLock { $0 != nil } }
}

/// The processing thread's final figures, read after it was joined.
final class ProcessingState: Sendable {
    struct Summary: Sendable {
        var processing = ProcessingStatistics()
        var writer: WriterStatistics?
        var failure: FlowlogError?
    }
    private let final = Mutex(Summary())
    func finish(_ summary: Summary) { final.withLock { $0 = summary } }
    var summary: Summary { final.withLock { $0 } }
}

extension AgentConfiguration {
    /// The store settings in the store's own terms.
    public var storeConfiguration: StoreConfiguration {
        let fsync: StoreConfiguration.FsyncPolicy
        switch store.fsync {
        case .everyBlock: fsync = .everyBlock
        case .onSeal: fsync = .onSeal
        case .interval(let every): fsync = .interval(seconds: every.secondsValue)
        }
        return StoreConfiguration(segmentMaxBytes: store.segmentSize, segmentMaxAge: store.segmentAge.secondsValue,
                                  retentionMaxBytes: store.retentionSize, retentionMaxAge: store.retentionAge?.secondsValue,
                                  fsync: fsync, compressionLevel: store.compressionLevel)
    }

    /// The flow cache settings in the capture stage's own terms.
    public var flowCacheConfiguration: FlowCacheConfiguration {
        FlowCacheConfiguration(idleTimeoutSeconds: flowCache.idleTimeout.secondsValue,
                               activeTimeoutSeconds: flowCache.activeTimeout.secondsValue,
                               capacity: flowCache.capacity)
    }
}
