#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore
import Query
import SegmentStore
import SIEMConfig

/// Where records come from, and which of them a run takes.
public struct RecordSources: Sendable {
    /// The flow store (and, under it, the default spool directory).
    public var dataDirectory: String
    /// The audit store (`flowlog audit ingest --audit DIR`); nil: no audit records.
    public var auditDirectory: String?
    /// A one-shot window: only records in it, read from the start without moving the sink's
    /// cursors (so a later run without a window still sends everything once). A run of the
    /// same window that did not finish is resumed where it stopped; a finished one is sent again.
    public var window: TimeWindow?

    public init(dataDirectory: String, auditDirectory: String? = nil, window: TimeWindow? = nil) {
        self.dataDirectory = dataDirectory
        self.auditDirectory = auditDirectory
        self.window = window
    }
}

/// One sink's pipeline: reads new records from the stores into the sink's spool (in its wire
/// format), and delivers the spool to the receiver batch by batch. Owned by one thread;
/// `SIEMExportRun` drives it.
final class SinkWorker {
    let sink: SIEMConfiguration.Sink
    let sources: RecordSources
    let metrics: SinkMetrics
    let log: @Sendable (String) -> Void
    let directory: String
    let transport: SinkTransport
    let spool: SinkSpool
    let stateFile: SinkStateFile
    var state: SinkState
    let filter: FilterProgram
    var builder: RecordBuilder
    let hostName: String
    /// The sink's format options, read out of `sink` once rather than per record.
    let syslogOptions: SIEMConfiguration.SyslogOptions
    let splunkOptions: SIEMConfiguration.SplunkOptions
    let bulkIndices: [RecordKind: String]
    private var lockDescriptor: Int32?
    /// The window's own cursors (a windowed run leaves `state.flows` and the others alone),
    /// kept in the state so that an interrupted window, run again, goes on where it stopped.
    var windowFlows: BlockPosition? {
        get { state.window?.flows }
        set { if state.window?.flows != newValue { state.window?.flows = newValue; cursorsMoved = true } }
    }
    var windowAudit: UInt64 {
        get { state.window?.audit ?? 0 }
        set { if state.window?.audit != newValue { state.window?.audit = newValue; cursorsMoved = true } }
    }
    var windowFindings: UInt64 {
        get { state.window?.findings ?? 0 }
        set { if state.window?.findings != newValue { state.window?.findings = newValue; cursorsMoved = true } }
    }
    /// The batch being delivered, and the one record read for the spool metrics: refilled,
    /// never reallocated, by every read.
    var batch = SinkSpool.Batch()
    var oldest = SinkSpool.Batch()
    /// A cursor moved without records (filtered out): the state must still be written.
    var cursorsMoved = false
    /// Following a store that an agent is about to write: an empty or missing store is
    /// nothing to read yet, not an error.
    var following = false
    var storeReader: StoreReader?
    var blockReader: StoreBlockReader?
    /// Head position of the last batch that failed: sending from there again is a retry.
    var failedAt: UInt64?
    /// When the oldest undelivered record entered an empty spool (batching by time).
    var pendingSince: ContinuousClock.Instant?
    let clock = ContinuousClock()

    /// Format version of spooled records; bumped when the rendering changes incompatibly.
    static let formatVersion = 1

    init(sink: SIEMConfiguration.Sink, configuration: SIEMConfiguration, sources: RecordSources, metrics: SinkMetrics,
         transport: SinkTransport? = nil, log: @escaping @Sendable (String) -> Void) throws {
        self.sink = sink
        self.sources = sources
        self.metrics = metrics
        self.log = log
        let root = configuration.spoolDirectory ?? sources.dataDirectory + "/exports/siem"
        directory = root + "/" + sink.name
        filter = try FilterProgram(parsing: sink.filter)
        hostName = Self.systemHostName()
        syslogOptions = sink.syslog
        splunkOptions = sink.splunk
        bulkIndices = Dictionary(uniqueKeysWithValues: RecordKind.allCases.map { ($0, sink.elasticsearch.index(for: $0)) })
        try SpoolFiles.createDirectory(directory)
        let lock = try DurableFile.lock(directory + "/lock", holder: "SIEM exporter for sink \(sink.name)")
        do {
            stateFile = try SinkStateFile(path: directory + "/state")
            let format = "\(sink.type.rawValue) \(Self.formatVersion)"
            if let stored = try stateFile.load() {
                guard stored.format == format else {
                    throw FlowlogError(.invalidArgument,
                                       "the spool of sink \(sink.name) holds \(stored.format) records, not \(format); give the sink a new name or remove \(directory)",
                                       location: .init(file: directory + "/state"))
                }
                state = stored
            } else {
                state = SinkState(format: format)
            }
            if state.channel.isEmpty { state.channel = Self.newChannel() }
            spool = try SinkSpool(directory: directory, limit: sink.spoolLimit, head: state.head, tail: state.tail)
            if spool.head != state.head {
                log("siem: sink \(sink.name): spool files before offset \(spool.head) are missing; what they held is lost")
                state.head = spool.head
            }
            if let window = sources.window {
                let since = window.since?.nanoseconds, until = window.until?.nanoseconds
                if let progress = state.window, progress.since == since, progress.until == until {
                    log("siem: sink \(sink.name): resuming the unfinished run of this window where it stopped")
                } else {
                    state.window = SinkState.WindowProgress(since: since, until: until)
                }
            }
            try stateFile.store(state, durable: true)
            let storeID = try StoreIdentity.loadOrCreate(StoreIdentity.path(storeDirectory: sources.dataDirectory))
            builder = RecordBuilder(storeID: storeID, cluster: configuration.cluster)
            self.transport = try transport ?? Self.makeTransport(sink, channel: state.channel)
        } catch {
            DurableFile.unlock(lock)
            throw error
        }
        lockDescriptor = lock
        if state.inflight > 0 && !spool.isEmpty {
            log("siem: sink \(sink.name): \(state.inflight) records were being sent when the exporter stopped; sending them again (duplicates where the receiver has no idempotency)")
            metrics.add(.redelivered, Int(state.inflight))
        }
        updateSpoolMetrics()
    }

    deinit { close() }

    func close() {
        transport.close()
        if let fd = lockDescriptor { DurableFile.unlock(fd) }
        lockDescriptor = nil
    }

    static func makeTransport(_ sink: SIEMConfiguration.Sink, channel: String) throws -> SinkTransport {
        switch sink.type {
        case .syslog: return try SyslogTransport(sink: sink)
        case .splunkHEC: return try HECTransport(sink: sink, channel: channel)
        case .elasticsearch: return try BulkTransport(sink: sink)
        }
    }

    static func systemHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "-" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "-" : name
    }

    /// A random GUID for Splunk's request channel.
    static func newChannel() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<16).map { _ in
            let b = UInt8.random(in: 0...255, using: &generator)
            return String(b, radix: 16).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16)
        }
        return hex[0..<4].joined() + "-" + hex[4..<6].joined() + "-" + hex[6..<8].joined() + "-" + hex[8..<10].joined() + "-"
            + hex[10..<16].joined()
    }

    /// A windowed run delivered everything: the window is done, and running it again sends it again.
    func finishWindow() throws {
        guard sources.window != nil, state.window != nil else { return }
        state.window = nil
        try stateFile.store(state, durable: true)
    }

    func updateSpoolMetrics() {
        var time: Timestamp?
        if !spool.isEmpty, (try? spool.read(from: spool.head, maxRecords: 1, maxBytes: 1, into: &oldest)) != nil {
            time = oldest.entries.first?.time
        }
        metrics.spool(bytes: spool.diskBytes, oldest: time, now: WallClock.now())
    }
}
