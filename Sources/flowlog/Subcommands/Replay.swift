import ArgumentParser
import Capture
import Evidence
import FlowCore
import Pipeline
import Policy
import Query
import SegmentStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `flowlog replay FILE...`: captures in, flows and a summary out.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        // Named here: ArgumentParser would derive it from the type's name with
        // `String(describing:)`, a runtime demangling (650,000 instructions) at every start.
        commandName: "replay",
        abstract: "Replay capture files (pcap or pcapng) through every stage: flows, policy, store.",
        discussion: """
            Files are read one after another as one timeline through one flow cache, on one thread; \
            finished flows cross a lock-free ring to a second thread that annotates them with the \
            cluster's policy verdicts (--cluster) and stores them (--data), where `flowlog query` reads \
            them. Without --cluster flows are stored unannotated. The summary goes to stdout, or to \
            stderr when --flows writes flows to stdout. A capture truncated mid-way keeps everything \
            read before the damage; the error is reported and the exit status is 1. A --data \
            directory that already holds flows is refused unless --append says to add to them \
            (replaying the same capture twice would count every flow twice).

            \(ExitStatus.help)
            """
    )

    @OptionGroup var options: ReplayOptions

    func run() throws {
        let outcome = try replay(options)
        if !outcome.readErrors.isEmpty { throw ExitCode(1) }
    }
}

/// The replay command's options, kept apart so the pipeline's replay can extend them.
struct ReplayOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Capture files (classic pcap or pcapng).", valueName: "FILE"))
    var files: [String]

    @Option(help: "Summary format: text or json.")
    var summaryFormat: SummaryFormat = .text

    @Option(help: "Write every flow to stdout in this format (ndjson).")
    var flows: FlowOutputFormat?

    @Option(name: .customLong("cluster"), parsing: .singleValue,
            help: ArgumentHelp("Cluster manifests (file or directory; repeatable) to annotate flows with.", valueName: "path"))
    var clusterPaths: [String] = []

    @Option(name: .customLong("data"), help: ArgumentHelp("Store flows in this directory (created if needed).", valueName: "dir"))
    var dataDirectory: String?

    @Flag(help: "Add to a --data directory that already holds flows.")
    var append = false

    @Option(help: ArgumentHelp("Reporting node name stored with every flow.", valueName: "name"))
    var node: String = ""

    @Option(parsing: .unconditional, help: ArgumentHelp("Store compression: 0 = LZ4 fast (least CPU), 3…12 = LZ4-HC (smaller files).", valueName: "level"))
    var compressionLevel: Int = StoreConfiguration().compressionLevel

    @Option(help: ArgumentHelp("Seal a segment at this size (e.g. 64MiB), as the agent's store.segment-size.", valueName: "size"))
    var segmentSize: String?

    @Option(help: ArgumentHelp("Ed25519 private key (flowlog keys generate): hash every sealed segment and sign the digest chain in DATA/evidence.", valueName: "file"))
    var signingKey: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Ring slots between the capture and policy threads (rounded up to a power of two; a slot takes memory once a flow used it).", valueName: "count"))
    var ringCapacity: Int = ReplayPipeline.Configuration.defaultRingCapacity

    @Flag(name: .customLong("no-dns"),
          help: "Do not decode DNS responses (flows get no dest_domains; destination.domains rules then match nothing).")
    var noDNS = false

    @OptionGroup(title: "Flow cache")
    var cache: FlowCacheOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one capture file") }
        guard ringCapacity >= 2 else { throw ValidationError("--ring-capacity must be at least 2, not \(ringCapacity)") }
        guard ringCapacity <= 1 << 30 else { throw ValidationError("--ring-capacity must be at most \(1 << 30), not \(ringCapacity)") }
        guard compressionLevel == 0 || (3...12).contains(compressionLevel) else {
            throw ValidationError("--compression-level must be 0 (LZ4 fast) or 3…12 (LZ4-HC), not \(compressionLevel)")
        }
        if let dataDirectory, !append, StoredFlows.present(in: dataDirectory) {
            throw ValidationError("\(dataDirectory) already holds flows; replaying into it would add to them. "
                                  + "Give --append to add, or a new or empty --data directory")
        }
    }
}

enum SummaryFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

enum FlowOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case ndjson
}

/// Flow cache settings shared by every command that runs captures.
struct FlowCacheOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Emit a flow after this long without packets (\(DurationText.examples)).", valueName: "duration"))
    var idleTimeout = DurationArgument(seconds: FlowCacheConfiguration.defaultIdleTimeoutSeconds)

    @Option(help: ArgumentHelp("Emit a record of a long flow this often; 0 disables.", valueName: "duration"))
    var activeTimeout = DurationArgument(seconds: FlowCacheConfiguration.defaultActiveTimeoutSeconds)

    @Option(help: "On TCP FIN both ways or RST: close (emit after the linger time) or ignore.")
    var tcpTeardown: FlowCacheConfiguration.TCPTeardown = .close

    @Option(help: ArgumentHelp("How long a torn-down TCP flow waits for its last packets.", valueName: "duration"))
    var teardownLinger = DurationArgument(seconds: FlowCacheConfiguration.defaultTeardownLingerSeconds)

    @Option(parsing: .unconditional, help: ArgumentHelp("Most flows held at once; beyond it the least recently active is evicted.", valueName: "count"))
    var maxFlows: Int = FlowCacheConfiguration.defaultCapacity

    func validate() throws {
        guard idleTimeout.duration > .zero else { throw ValidationError("--idle-timeout must be longer than 0s") }
        guard maxFlows > 0 else { throw ValidationError("--max-flows must be at least 1, not \(maxFlows)") }
    }

    var configuration: FlowCacheConfiguration {
        FlowCacheConfiguration(idleTimeoutSeconds: idleTimeout.seconds, activeTimeoutSeconds: activeTimeout.seconds,
                               tcpTeardown: tcpTeardown, teardownLingerSeconds: teardownLinger.seconds, capacity: maxFlows)
    }
}

extension FlowCacheConfiguration.TCPTeardown: ExpressibleByArgument {}

/// Runs the replay: opens every file and loads the cluster (while the capture already starts)
/// before any output, so a bad manifest or a missing or unsupported capture fails first; then
/// runs the pipeline and writes flows and the summary. Returns the capture statistics; read errors of truncated files are in
/// `readErrors` (already reported).
@discardableResult
func replay(_ options: ReplayOptions) throws -> CaptureStatistics {
    let annotated = !options.clusterPaths.isEmpty
    var configuration = ReplayPipeline.Configuration(files: options.files)
    configuration.cache = options.cache.configuration
    configuration.clusterManifests = options.clusterPaths
    configuration.dataDirectory = options.dataDirectory
    configuration.node = options.node
    configuration.ringCapacity = options.ringCapacity
    configuration.store.compressionLevel = options.compressionLevel
    // A replay's input stays where it is: after a power loss it is run again. Its segments are
    // synced when sealed, before the replay returns, instead of after every block, where each
    // fsync (1–18 ms here) stopped the deciding thread.
    configuration.store.fsync = .onSeal
    configuration.resolvesDomains = !options.noDNS
    configuration.keepsStateUntilExit = true
    if let text = options.segmentSize {
        guard let size = ConfigurationValue.byteSize(text), size >= 4096 else {
            throw ValidationError("--segment-size: '\(text)' is not a size of at least 4096 bytes, such as 64MiB")
        }
        configuration.store.segmentMaxBytes = size
    }
    var recorder: EvidenceRecorder?
    if let key = options.signingKey {
        guard let data = options.dataDirectory else { throw ValidationError("--signing-key signs stored segments: give --data too") }
        recorder = try EvidenceRecorder(store: .flows, directory: data, signingKeyPath: key)
        configuration.sealObserver = recorder
    }
    if options.ringCapacity & (options.ringCapacity - 1) != 0 {
        var rounded = 1
        while rounded < options.ringCapacity { rounded <<= 1 }
        Diagnostics.note("--ring-capacity \(options.ringCapacity) rounded up to \(rounded), a power of two")
    }
    var sink = NDJSONFlowSink(enabled: options.flows == .ndjson, annotated: annotated)
    let progress = ProgressLine(enabled: isatty(STDERR_FILENO) == 1, fileCount: options.files.count)
    var report: (@Sendable (ReplayPipeline.Progress) -> Void)? = nil
    if progress.enabled {
        report = { (p: ReplayPipeline.Progress) in progress.show(file: p.file, p.capture) }
    }
    let result = try ReplayPipeline.run(configuration, output: &sink, progress: report)
    sink.flush()
    progress.clear()
    for error in result.capture.readErrors {
        Diagnostics.error("\(error)")
    }
    let summary = options.summaryFormat == .json
        ? result.jsonSummary(sources: options.files, dataDirectory: options.dataDirectory, clusterLoaded: annotated)
        : result.textSummary(sources: options.files, dataDirectory: options.dataDirectory, clusterLoaded: annotated)
    if options.flows != nil { standardError(summary) } else { standardOutput(summary) }
    return result.capture
}

/// Writes flows as NDJSON to stdout through one reused buffer.
struct NDJSONFlowSink: AnnotatedFlowSink {
    let enabled: Bool
    /// Whether to add the policy stage's fields (identities, action, policies) to each line.
    let annotated: Bool
    var buffer: [UInt8] = []
    var annotation = AnnotationJSONWriter()

    init(enabled: Bool, annotated: Bool) {
        self.enabled = enabled
        self.annotated = annotated
        buffer.reserveCapacity(1 << 16)
    }

    /// Without `--flows ndjson` the flows only go to the store, which may then take them.
    var readsFlows: Bool { enabled }

    mutating func accept(_ batch: inout [AnnotatedFlow]) {
        if enabled {
            for record in batch {
                buffer.append(contentsOf: record.flow.ndjsonLine.utf8)
                if !record.destinationDomains.isEmpty {
                    buffer.removeLast()
                    let names = record.destinationDomains.names.map(JSONText.string).joined(separator: ",")
                    buffer.append(contentsOf: ",\"dest_domains\":[\(names)]}".utf8)
                }
                if annotated {
                    buffer.removeLast()  // the flow object's closing brace: the annotation goes on
                    buffer.append(UInt8(ascii: ","))
                    annotation.appendMembers(of: record, to: &buffer)
                    buffer.append(UInt8(ascii: "}"))
                }
                buffer.append(UInt8(ascii: "\n"))
            }
            if buffer.count >= 1 << 16 { flush() }
        }
        batch.removeAll(keepingCapacity: true)
    }

    mutating func flush() {
        writeAll(buffer, to: STDOUT_FILENO)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// A one-line progress report on stderr, redrawn in place; only used when stderr is a terminal.
struct ProgressLine: Sendable {
    let enabled: Bool
    let fileCount: Int

    func show(file number: Int, _ p: FlowCapture.Progress) {
        var text = "\r\u{1B}[Kreplay [\(number + 1)/\(fileCount)] \(p.source): \(p.packets) packets, \(p.activeFlows) active flows"
        if let offset = p.fileOffset, let size = p.fileSize, size > 0 {
            text += ", \(min(100, offset * 100 / size))%"
        }
        standardError(text)
    }

    func clear() {
        if enabled { standardError("\r\u{1B}[K") }
    }
}

func standardOutput(_ text: String) { writeAll(text, to: STDOUT_FILENO) }
func standardError(_ text: String) { writeAll(text, to: STDERR_FILENO) }

