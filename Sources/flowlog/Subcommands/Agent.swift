import ArgumentParser
import ConfigAudit
import FlowCore
import FlowRing
import Foundation
import Logging
import Metrics
import Pipeline
import Prometheus
import ServiceLifecycle

/// `flowlog agent`: the node-local agent, until SIGTERM or SIGINT.
struct Agent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        // Named here: ArgumentParser would derive it from the type's name with
        // `String(describing:)`, a runtime demangling (650,000 instructions) at every start.
        commandName: "agent",
        abstract: "Capture live interfaces, annotate flows with policy verdicts and store them, until stopped.",
        discussion: """
            Settings come from --config (YAML, see docs/agent-configuration.md); flags override the \
            file. Live capture needs CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous mode), e.g. run \
            as root or `setcap cap_net_raw,cap_net_admin=eip flowlog`. Cluster manifests are watched \
            and reloaded when they change; a version that does not load is logged and the previous \
            one stays in force. Prometheus metrics are served on 127.0.0.1:9464/metrics unless \
            --metrics says otherwise ("off" turns them off). SIGTERM or SIGINT flushes the flow \
            caches, seals the open segment and exits 0. The defaults shown are those of an empty \
            configuration file. An agent that fails to start removes the --data directory if it \
            created it.

            \(ExitStatus.help)
            """
    )

    /// What an empty configuration file gives, for the help text.
    private static let defaults = AgentConfiguration()

    @Option(help: ArgumentHelp("YAML configuration file.", valueName: "file"))
    var config: String?

    @Option(name: .customLong("interface"), help: ArgumentHelp("Interface to capture on (repeatable).", valueName: "name"))
    var interfaces: [String] = []

    @Option(help: ArgumentHelp("BPF capture filter.", valueName: "expression"))
    var filter: String?

    @Option(help: ArgumentHelp("Bytes captured per packet (default: \(defaults.capture.snaplen)).", valueName: "bytes"))
    var snaplen: Int?

    @Flag(inversion: .prefixedNo, help: "Put the interfaces in promiscuous mode (default: \(defaults.capture.promiscuous ? "on" : "off")).")
    var promiscuous: Bool?

    @Option(help: ArgumentHelp("Kernel capture buffer size, e.g. 64MiB (default: the system's).", valueName: "size"))
    var bufferSize: String?

    @Flag(inversion: .prefixedNo, help: "Read the kernel's packet ring directly where possible; --no-direct-ring leaves all reading to libpcap (default: \(defaults.capture.directRing ? "on" : "off")).")
    var directRing: Bool?

    @Option(name: .customLong("cluster"), help: ArgumentHelp("Cluster manifests, file or directory (repeatable).", valueName: "path"))
    var clusterPaths: [String] = []

    @Option(name: .customLong("data"), help: ArgumentHelp("Store directory.", valueName: "dir"))
    var dataDirectory: String?

    @Option(help: ArgumentHelp("Reporting node name stored with every flow (default: the host name).", valueName: "name"))
    var node: String?

    @Option(help: ArgumentHelp("Flow idle timeout (\(DurationText.examples); default: \(DurationText.format(defaults.flowCache.idleTimeout))).", valueName: "duration"))
    var idleTimeout: String?

    @Option(help: ArgumentHelp("Flow active timeout (default: \(DurationText.format(defaults.flowCache.activeTimeout))).", valueName: "duration"))
    var activeTimeout: String?

    @Option(help: ArgumentHelp("Most flows per interface's cache (default: \(defaults.flowCache.capacity)).", valueName: "count"))
    var maxFlows: Int?

    @Option(help: ArgumentHelp("Seal a segment at this size (default: \(defaults.store.segmentSize >> 20)MiB).", valueName: "size"))
    var segmentSize: String?

    @Option(help: ArgumentHelp("Seal a segment after this long (default: \(DurationText.format(defaults.store.segmentAge))).", valueName: "duration"))
    var segmentAge: String?

    @Option(help: ArgumentHelp("Delete oldest segments beyond this total (default: \(defaults.store.retentionSize.map { "\($0 >> 30)GiB" } ?? "none")).", valueName: "size"))
    var retentionSize: String?

    @Option(help: ArgumentHelp("Delete segments older than this (default: \(defaults.store.retentionAge.map { DurationText.format($0) } ?? "none")).", valueName: "duration"))
    var retentionAge: String?

    @Option(help: ArgumentHelp("Ring slots per interface, rounded up to a power of two (default: \(defaults.ring.capacity)).", valueName: "count"))
    var ringCapacity: Int?

    @Option(help: ArgumentHelp("Prometheus endpoint host:port, or off (default: \(defaults.metrics.address ?? "off")).", valueName: "address"))
    var metrics: String?

    @Flag(help: "Allow a metrics address that is not loopback.")
    var metricsAllowRemote = false

    @Option(name: .customLong("audit"), help: ArgumentHelp("Audit store directory: record manifest reloads, and audit events from --audit-log or the webhook.", valueName: "dir"))
    var auditDirectory: String?

    @Option(name: .customLong("audit-log"), help: ArgumentHelp("A kube-apiserver audit log file to follow (rotation and truncation are handled).", valueName: "file"))
    var auditLog: String?

    @Flag(name: .customLong("audit-webhook"), help: "Serve the audit webhook backend on POST /audit/webhook of the metrics server.")
    var auditWebhook = false

    @Option(name: .customLong("signing-key"), help: ArgumentHelp("Ed25519 private key: sign sealed segments and audit files (evidence.signing-key).", valueName: "file"))
    var signingKey: String?

    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (default: \(defaults.log.level)).", valueName: "level"))
    var logLevel: String?

    @Option(help: ArgumentHelp("Log lines as text or json (default: \(defaults.log.format)).", valueName: "format"))
    var logFormat: String?

    @Option(name: .customLong("cis-interval"), help: ArgumentHelp("Run the CIS benchmark this often and keep each result as evidence (default: never).", valueName: "duration"))
    var cisInterval: String?

    func run() async throws {
        let settings: AgentConfiguration
        do {
            settings = try resolvedConfiguration()
        } catch let error as FlowlogError where config == nil && error.location?.file == nil {
            // Without a configuration file, what is missing or wrong came from the flags.
            throw ValidationError(error.description)
        }
        let format = settings.log.format, level = settings.log.level
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, format: format, level: level) }
        let logger = Logger(label: "flowlog.agent")
        let registry = PrometheusCollectorRegistry()
        let metrics = PipelineMetrics.bootstrap(registry: registry)
        // This process ends when the agent stops: the exit reclaims the agent's memory.
        let agent = NodeAgent(configuration: settings, logger: logger, registry: registry, metrics: metrics,
                              freesStateWhenStopped: false)
        // A service group shuts its services down in reverse order, each after the one before
        // it has returned: the exporters are listed first so that they stop last, after capture
        // has flushed its flow caches and sealed the store, and can send those flows too.
        var services: [any Service] = []
        do {
            if let siem = try AgentSIEMExport(settings, logger: Logger(label: "flowlog.siem")) { services.append(siem) }
        } catch let error as FlowlogError {
            Diagnostics.error(error.description)
            throw ExitStatus(error).exitCode
        }
        if let export = try AgentClickHouseExport(settings, logger: Logger(label: "flowlog.export")) { services.append(export) }
        services += [agent, ScheduledReports(configuration: settings, logger: Logger(label: "flowlog.reports"))]
        if let benchmark = Self.scheduledBenchmark(settings, logger: logger) { services.append(benchmark) }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                 cancellationSignals: [], logger: logger)
        do {
            try await group.run()
        } catch {
            logger.critical("agent failed", metadata: ["error": "\(error)"])
            throw ((error as? FlowlogError).map(ExitStatus.init) ?? .failure).exitCode
        }
    }

    /// The CIS benchmark on the agent's manifests, recorded after every run (see docs/config-audit.md).
    static func scheduledBenchmark(_ settings: AgentConfiguration, logger: Logger) -> PeriodicTask? {
        guard let interval = settings.compliance.cisInterval else { return nil }
        let compliance = settings.compliance
        let directory = compliance.evidenceDirectory ?? ((settings.dataDirectory ?? ".") as NSString).appendingPathComponent("evidence/cis")
        let store = CISEvidenceStore(directory: directory)
        let manifests = settings.cluster.manifests
        return PeriodicTask(name: "CIS benchmark", interval: interval, logger: logger) {
            do {
                let path = try store.runAndRecord(clusterPaths: manifests, kubeBench: compliance.kubeBench, settingsPath: compliance.cisSettings)
                logger.info("CIS benchmark recorded", metadata: ["file": "\(path)"])
            } catch let error as ManifestError {
                throw FlowlogError(.validation, error.errors.map(\.description).joined(separator: "; "))
            }
        }
    }

    /// The file (if any) with the flags applied on top, validated.
    func resolvedConfiguration() throws -> AgentConfiguration {
        var base = AgentConfiguration()
        if let config { base = try AgentConfiguration.load(contentsOf: config) }
        var o = AgentConfiguration.Overrides()
        if !interfaces.isEmpty { o.interfaces = interfaces }
        o.filter = filter
        o.snaplen = snaplen
        o.promiscuous = promiscuous
        o.bufferSize = try bufferSize.map { try size($0, "--buffer-size") }
        o.directRing = directRing
        if !clusterPaths.isEmpty { o.clusterManifests = clusterPaths }
        o.dataDirectory = dataDirectory
        o.nodeName = node
        o.idleTimeout = try idleTimeout.map { try duration($0, "--idle-timeout") }
        o.activeTimeout = try activeTimeout.map { try duration($0, "--active-timeout") }
        o.flowCacheCapacity = maxFlows
        o.segmentSize = try segmentSize.map { try size($0, "--segment-size") }
        o.segmentAge = try segmentAge.map { try duration($0, "--segment-age") }
        o.retentionSize = try retentionSize.map { try size($0, "--retention-size") }
        o.retentionAge = try retentionAge.map { try duration($0, "--retention-age") }
        o.ringCapacity = ringCapacity
        o.cisInterval = try cisInterval.map { try duration($0, "--cis-interval") }
        o.metricsAddress = metrics
        if metricsAllowRemote { o.allowNonLoopbackMetrics = true }
        o.auditDirectory = auditDirectory
        o.auditLogFile = auditLog
        if auditWebhook { o.auditWebhook = true }
        o.signingKey = signingKey
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
                throw ValidationError("--log-level: '\(logLevel)' is not one of trace, debug, info, notice, warning, error, critical")
            }
            o.logLevel = level
        }
        if let logFormat {
            guard let format = LogFormat(rawValue: logFormat.lowercased()) else {
                throw ValidationError("--log-format: '\(logFormat)' is not text or json")
            }
            o.logFormat = format
        }
        return try base.merging(o).validated()
    }

    private func duration(_ text: String, _ flag: String) throws -> Duration {
        guard let value = ConfigurationValue.duration(text) else {
            throw ValidationError("\(flag): '\(text)' is not a duration (\(DurationText.examples))")
        }
        return value
    }

    private func size(_ text: String, _ flag: String) throws -> Int {
        guard let value = ConfigurationValue.byteSize(text) else {
            throw ValidationError("\(flag): '\(text)' is not a size such as 4096, 64MiB or 10GiB")
        }
        return value
    }
}
