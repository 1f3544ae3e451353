import FlowCore

/// What `flowlog export siem --config FILE` and the agent's `export.siem` section say: the
/// sinks records go to, each with its own filter, batching, TLS and spool (docs/siem.md has
/// the schema). Plain values; `SIEMConfiguration+Reading` builds them from YAML.
public struct SIEMConfiguration: Hashable, Sendable {
    public var sinks: [Sink] = []
    /// Where each sink's spool and cursor live (`<dir>/<sink name>/`); nil: `<data>/exports/siem`.
    public var spoolDirectory: String?
    /// The cluster's name, an indexed field of every record; "" leaves it out.
    public var cluster = ""
    /// The audit store for sinks that take audit records (`--audit` overrides it).
    public var auditDirectory: String?
    /// In the agent: how long, after capture stored its last flows at shutdown, the sinks may
    /// go on sending them (what is left waits in the spool); zero stops them at once.
    public var shutdownDrain: Duration = .seconds(10)
    /// Beyond this a shutdown would outlast any orchestrator's grace period.
    public static let maximumShutdownDrain: Duration = .seconds(600)

    public init() {}

    public enum SinkType: String, Hashable, Sendable, CaseIterable {
        case splunkHEC = "splunk-hec"
        case elasticsearch
        case syslog
    }

    public enum Transport: String, Hashable, Sendable, CaseIterable {
        case udp, tcp, tls
    }

    public struct TLSFiles: Hashable, Sendable {
        /// PEM file of the certificate authorities to trust; nil: the system's.
        public var ca: String?
        /// PEM client certificate and its key, for servers that ask for one.
        public var certificate: String?
        public var key: String?
        /// The name the server's certificate must carry; nil: the host of the address.
        public var serverName: String?
        /// Off only for tests against throwaway certificates; documented as such.
        public var verify = true

        public init() {}
    }

    /// A batch goes when it holds `count` records or `bytes` bytes, or `time` after its first
    /// record arrived, whichever comes first.
    public struct Batching: Hashable, Sendable {
        public var count = 1_000
        public var bytes = 1 << 20
        public var time: Duration = .seconds(1)
        public init() {}

        public static let maximumCount = 100_000
        public static let maximumBytes = 64 << 20
    }

    public struct SyslogOptions: Hashable, Sendable {
        /// RFC 5424 facility 0–23 (`local0` is 16).
        public var facility = 16
        public var severity = 6
        /// Denied flows and failed findings.
        public var alertSeverity = 4
        public var appName = "flowlog"
        /// HOSTNAME field; nil: the flow's node, else this machine's name.
        public var hostname: String?
        /// The private enterprise number in SD-IDs (`flow@32473`); 32473 is the number RFC 5612
        /// reserves for documentation, so a site sets its own.
        public var enterpriseNumber: UInt32 = 32473
        public init() {}
    }

    public struct SplunkOptions: Hashable, Sendable {
        public var index: String?
        public var source = "flowlog"
        /// `host` of every event; nil: the flow's node, else this machine's name.
        public var host: String?
        /// Indexer acknowledgement: a batch counts as sent once `/services/collector/ack` says so.
        public var acknowledge = false
        public var acknowledgeTimeout: Duration = .seconds(60)
        public init() {}
    }

    public struct ElasticsearchOptions: Hashable, Sendable {
        /// Index or data stream per record kind.
        public var flowsIndex = "logs-flowlog.flows-default"
        public var auditIndex = "logs-flowlog.audit-default"
        public var findingsIndex = "logs-flowlog.findings-default"
        public init() {}

        public func index(for kind: RecordKind) -> String {
            switch kind {
            case .flows: return flowsIndex
            case .audit: return auditIndex
            case .findings: return findingsIndex
            }
        }
    }

    public struct Sink: Hashable, Sendable {
        public var name: String
        public var type: SinkType
        /// `http(s)://HOST:PORT[/prefix]` for HEC and Elasticsearch.
        public var url: String?
        /// `HOST:PORT` for syslog.
        public var address: String?
        public var transport: Transport = .tcp
        public var records: Set<RecordKind> = [.flows]
        /// Query-language filter applied to flows; "" sends every flow.
        public var filter = ""
        public var tls: TLSFiles?
        /// First line: the HEC token, or an Elasticsearch API key (`Authorization: ApiKey`).
        public var tokenFile: String?
        public var batching = Batching()
        /// Most bytes the spool holds before the oldest records are dropped.
        public var spoolLimit = 1 << 30
        /// One-shot runs: how long an unreachable sink is retried before the run gives up
        /// (what is left stays spooled for the next run).
        public var retryFor: Duration = .seconds(30)
        public var syslog = SyslogOptions()
        public var splunk = SplunkOptions()
        public var elasticsearch = ElasticsearchOptions()

        public init(name: String, type: SinkType) {
            self.name = name
            self.type = type
        }
    }
}

/// What a sink carries.
public enum RecordKind: String, Hashable, Sendable, CaseIterable, Comparable {
    /// Stored flows, as `flowlog query -o ndjson` prints them.
    case flows
    /// Versions of policy objects from the audit store (`flowlog audit history`).
    case audit
    /// Compliance findings: failed checks of archived reports.
    case findings

    public static func < (l: RecordKind, r: RecordKind) -> Bool {
        allCases.firstIndex(of: l)! < allCases.firstIndex(of: r)!
    }

    /// Splunk `sourcetype`, syslog MSGID.
    public var sourceType: String { "flowlog:\(singular)" }
    public var singular: String {
        switch self {
        case .flows: return "flow"
        case .audit: return "audit"
        case .findings: return "finding"
        }
    }
}
