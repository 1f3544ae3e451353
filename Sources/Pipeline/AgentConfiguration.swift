import FlowRing
import Logging
import SegmentStore

/// Everything `flowlog agent` can be told, from its configuration file, its flags, or both
/// (flags win; see `AgentConfiguration.Overrides`). The defaults are the stages' own defaults, so
/// an empty file and no flags describe the same agent.
///
/// The file format (YAML, keys in kebab-case) is documented in docs/agent-configuration.md.
public struct AgentConfiguration: Hashable, Sendable {
    public var capture = Capture()
    public var cluster = Cluster()
    /// Where segments are written. Required before the agent starts (file or `--data`).
    public var dataDirectory: String?
    /// This node's name, recorded with the flows; the host name when absent.
    public var nodeName: String?
    public var flowCache = FlowCache()
    public var store = Store()
    public var ring = Ring()
    public var metrics = Metrics()
    public var audit = Audit()
    public var evidence = Evidence()
    public var log = Log()
    public var reports = ReportSchedule()
    public var compliance = Compliance()
    public var export = Export()

    public init() {}

    /// Live capture: which interfaces and how.
    public struct Capture: Hashable, Sendable {
        public var interfaces: [String] = []
        /// A BPF filter expression (tcpdump syntax); nil captures everything.
        public var filter: String?
        /// Bytes kept of each packet.
        public var snaplen: Int = 262_144
        public var promiscuous: Bool = false
        /// The kernel's capture buffer in bytes; 0 keeps libpcap's default.
        public var bufferSize: Int = 0
        /// Read the kernel's TPACKET_V3 ring directly where it can (Linux, Ethernet or loopback,
        /// no filter); false leaves every packet to libpcap's own reading, the way to rule the
        /// direct reader out when a capture looks wrong.
        public var directRing: Bool = true
        public init() {}
    }

    /// The cluster model the policy stage evaluates against, and how often to look for changes.
    public struct Cluster: Hashable, Sendable {
        /// Manifest files, or directories whose `.yaml`/`.yml`/`.json` files are all read.
        public var manifests: [String] = []
        /// How often the manifest watcher looks at the files.
        public var pollInterval: Duration = .seconds(2)
        public init() {}
    }

    public struct FlowCache: Hashable, Sendable {
        /// A flow with no packet for this long is emitted.
        public var idleTimeout: Duration = .seconds(60)
        /// A longer flow emits a record every interval; zero disables it.
        public var activeTimeout: Duration = .seconds(300)
        /// Most flows held at once.
        public var capacity: Int = 1_000_000
        public init() {}
    }

    public struct Store: Hashable, Sendable {
        /// A segment is sealed once its file reaches this many bytes…
        public var segmentSize: Int = 64 << 20
        /// …or once it has been open this long.
        public var segmentAge: Duration = .seconds(3600)
        /// Oldest sealed segments are deleted while the total exceeds this; nil keeps all.
        public var retentionSize: Int? = 10 << 30
        /// Sealed segments older than this are deleted; nil keeps all.
        public var retentionAge: Duration? = .seconds(7 * 86_400)
        public var fsync: FsyncPolicy = .everyBlock
        /// A partly filled block is written this often, so recent flows reach queries and the
        /// exporters on a quiet node (a full block is written at once).
        public var flushInterval: Duration = .seconds(10)
        /// 0 for LZ4's fast mode (least CPU), 3…12 for LZ4-HC at that level (smaller files).
        public var compressionLevel = StoreConfiguration().compressionLevel
        public init() {}
    }

    /// When the store forces written data to disk.
    public enum FsyncPolicy: Hashable, Sendable, CustomStringConvertible {
        case everyBlock
        case interval(Duration)
        case onSeal

        public var description: String {
            switch self {
            case .everyBlock: return "every-block"
            case .onSeal: return "on-seal"
            case .interval(let every): return "interval \(ConfigurationValue.format(every))"
            }
        }
    }

    /// The ring between the capture thread and the policy/store thread.
    public struct Ring: Hashable, Sendable {
        /// Slots (rounded up to a power of two).
        public var capacity: Int = 65_536
        /// Live capture drops (and counts) rather than block; see `RingOverflowPolicy`.
        public var overflow: RingOverflowPolicy = .dropNewest
        public init() {}
    }

    public struct Metrics: Hashable, Sendable {
        /// `host:port` of the Prometheus endpoint; nil turns it off.
        public var address: String? = "127.0.0.1:9464"
        /// The endpoint refuses addresses other than loopback unless this is set.
        public var allowNonLoopback: Bool = false
        /// Connections the HTTP server holds open at once.
        public var maxConnections: Int = AgentHTTPServer.Limits().maximumConnections
        /// A request (head, and body once the head is in) must arrive within this.
        public var requestTimeout: Duration = AgentHTTPServer.Limits().requestHeadTimeout
        /// HTTPS instead of HTTP, optionally with client certificates; nil serves plain HTTP.
        public var tls: TLSFiles?
        public init() {}

        /// The HTTP server's limits in its own terms.
        public var limits: AgentHTTPServer.Limits {
            var limits = AgentHTTPServer.Limits()
            limits.maximumConnections = maxConnections
            limits.requestHeadTimeout = requestTimeout
            return limits
        }
    }

    /// `metrics.tls`: the server's certificate and key, and the CAs whose client certificates
    /// it accepts. Paths only: the files are read when the server starts.
    public struct TLSFiles: Hashable, Sendable {
        /// PEM: the server's certificate, then any intermediates.
        public var certificate: String?
        /// PEM: the server's private key.
        public var key: String?
        /// PEM: the CAs that sign client certificates; nil asks for none.
        public var clientCA: String?
        /// Which requests need a client certificate (with `clientCA`).
        public var clientCertificates: ClientCertificates = .required
        public init() {}
    }

    /// Which requests need a verified client certificate when `metrics.tls.client-ca` is set.
    public enum ClientCertificates: String, Hashable, Sendable, CaseIterable {
        /// Every connection: the TLS handshake fails without one (Prometheus then scrapes with
        /// its own `cert_file`).
        case required
        /// Only `POST /audit/webhook`: a certificate is asked for and verified when given, and
        /// `/metrics` and `/healthz` answer without one.
        case webhook
    }

    /// Policy version history from Kubernetes audit events (docs/audit.md).
    public struct Audit: Hashable, Sendable {
        /// The audit store; nil turns audit recording off.
        public var directory: String?
        /// A kube-apiserver `--audit-log-path` file to follow.
        public var logFile: String?
        /// Serve the webhook backend on `POST /audit/webhook` of the metrics server.
        public var webhook: Bool = false
        /// Largest webhook body accepted; larger ones get 413.
        public var webhookMaxBody: Int = AgentHTTPServer.Limits().maximumWebhookBodyBytes
        /// A file holding the bearer token webhook clients must send (required off loopback).
        public var bearerTokenFile: String?
        public init() {}
    }

    /// Signing of sealed segments and audit files (docs/evidence.md).
    public struct Evidence: Hashable, Sendable {
        /// The Ed25519 private key (`flowlog keys generate`); nil leaves the stores unsigned.
        public var signingKey: String?
        /// A digest at least this often, even when nothing was sealed; audit files are also
        /// sealed at least this often.
        public var digestInterval: Duration = .seconds(3600)
        public init() {}
    }

    /// Scheduled compliance reports (docs/reports.md): GlobalReports with a `schedule`, run
    /// into `DATA/reports/<id>/`.
    public struct ReportSchedule: Hashable, Sendable {
        /// GlobalReport manifests, files or directories; GlobalReports among the cluster
        /// manifests are scheduled too.
        public var specs: [String] = []
        /// How long after an interval ends its report runs (flows keep arriving until their
        /// flows expire); Calico waits 30 minutes.
        public var delay: Duration = .seconds(1_800)
        /// How often the scheduler looks for due reports.
        public var checkInterval: Duration = .seconds(60)
        /// Ranges that are not the internet; nil keeps the reports' standard list.
        public var privateNets: [String]?
        public init() {}
    }

    /// Configuration audits the agent runs on a schedule and keeps as evidence.
    public struct Compliance: Hashable, Sendable {
        /// How often the CIS benchmark runs; nil: never.
        public var cisInterval: Duration?
        /// Scoring and filters (`config cis --settings`).
        public var cisSettings: String?
        /// kube-bench `--json` outputs, `FILE` or `NODE=FILE`, re-read at every run.
        public var kubeBench: [String] = []
        /// Where each result is written; default `<data-directory>/evidence/cis`.
        public var evidenceDirectory: String?

        public init() {}
    }

    /// Copies of the store elsewhere, made as it is written.
    public struct Export: Hashable, Sendable {
        /// `export.clickhouse`: every flow into a ClickHouse table (docs/clickhouse.md).
        public var clickhouse: ClickHouseExport?
        /// `export.siem`: flows, policy versions and findings to SIEM sinks (docs/siem.md).
        public var siem: SIEMExportSection?
    }

    /// The agent's `export.siem` section, kept as the text of the file it is in: its schema
    /// (`flowlog export siem --config`'s) belongs to the evidence side, which the executable
    /// reads it with, and errors then name this file's lines and `export.siem.…` fields.
    public struct SIEMExportSection: Hashable, Sendable {
        public var text: String
        public var file: String?
    }

    /// The agent's side of `flowlog export clickhouse --follow`. Plain values: the executable
    /// builds the exporter from them (the pipeline does not depend on the evidence side).
    public struct ClickHouseExport: Hashable, Sendable {
        /// `http://HOST:PORT`.
        public var url: String
        public var database = "flowlog"
        public var table = "flows"
        public var user: String?
        public var passwordFile: String?
        /// Only flows matching this query-language filter; empty for all.
        public var filter = ""
        public var batchRows = 100_000
        /// The INSERT format: `native` (default) or `rowbinary`.
        public var format = "native"
        /// Where the audit store's versions go when `audit.directory` is set.
        public var auditTable = "audit_versions"
        /// Where the compliance reports archived under the data directory go, unless `reports` is false.
        public var reportTable = "report_results"
        public var reports = true
        public var pollInterval: Duration = .seconds(1)
        /// At shutdown, after capture stored its last flows: how long the exporter may go on
        /// exporting them (the rest goes at the next start); zero stops it at once.
        public var shutdownDrain: Duration = .seconds(10)
        public var create = true
        /// nil: under the data directory.
        public var checkpoint: String?

        public init(url: String) { self.url = url }
    }

    public struct Log: Hashable, Sendable {
        public var level: Logger.Level = .info
        public var format: LogFormat = .text
        public init() {}
    }
}
