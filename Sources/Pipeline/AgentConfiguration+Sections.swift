import FlowCore
import FlowRing
import Logging
import Yams

// The file's sections, one reader each; the key lists are the file format's reference.
extension ConfigurationReader {
    func read(_ root: Node, into configuration: inout AgentConfiguration) throws {
        let known = ["capture", "cluster", "data-directory", "node-name", "flow-cache", "store", "ring", "metrics", "log", "reports", "compliance",
                     "export", "audit", "evidence"]
        for (key, value, field) in try entries(of: root, field: "", known: known) {
            switch key {
            case "capture": try readCapture(value, field: field, into: &configuration.capture)
            case "cluster": try readCluster(value, field: field, into: &configuration.cluster)
            case "data-directory": configuration.dataDirectory = try optionalText(value, field: field)
            case "node-name": configuration.nodeName = try optionalText(value, field: field)
            case "flow-cache": try readFlowCache(value, field: field, into: &configuration.flowCache)
            case "store": try readStore(value, field: field, into: &configuration.store)
            case "ring": try readRing(value, field: field, into: &configuration.ring)
            case "metrics": try readMetrics(value, field: field, into: &configuration.metrics)
            case "reports": try readReports(value, field: field, into: &configuration.reports)
            case "compliance": try readCompliance(value, field: field, into: &configuration.compliance)
            case "export": try readExport(value, field: field, into: &configuration.export)
            case "audit": try readAudit(value, field: field, into: &configuration.audit)
            case "evidence": try readEvidence(value, field: field, into: &configuration.evidence)
            default: try readLog(value, field: field, into: &configuration.log)
            }
        }
    }

    func readCapture(_ node: Node, field: String, into capture: inout AgentConfiguration.Capture) throws {
        let known = ["interfaces", "filter", "snaplen", "promiscuous", "buffer-size", "direct-ring"]
        for (key, value, field) in try entries(of: node, field: field, known: known) {
            switch key {
            case "interfaces": capture.interfaces = try strings(value, field: field)
            case "filter": capture.filter = try optionalText(value, field: field)
            case "snaplen": capture.snaplen = try byteSize(value, field: field, minimum: 64)
            case "promiscuous": capture.promiscuous = try bool(value, field: field)
            case "direct-ring": capture.directRing = try bool(value, field: field)
            default: capture.bufferSize = try byteSize(value, field: field)
            }
        }
    }

    func readCompliance(_ node: Node, field: String, into compliance: inout AgentConfiguration.Compliance) throws {
        for (_, value, field) in try entries(of: node, field: field, known: ["cis"]) {
            let known = ["interval", "settings", "kube-bench", "evidence-directory"]
            for (key, value, field) in try entries(of: value, field: field, known: known) {
                switch key {
                case "interval": compliance.cisInterval = try duration(value, field: field)
                case "settings": compliance.cisSettings = try optionalText(value, field: field)
                case "kube-bench": compliance.kubeBench = try strings(value, field: field)
                default: compliance.evidenceDirectory = try optionalText(value, field: field)
                }
            }
        }
    }

    func readCluster(_ node: Node, field: String, into cluster: inout AgentConfiguration.Cluster) throws {
        for (key, value, field) in try entries(of: node, field: field, known: ["manifests", "poll-interval"]) {
            switch key {
            case "manifests": cluster.manifests = try strings(value, field: field)
            default: cluster.pollInterval = try duration(value, field: field)
            }
        }
    }

    func readFlowCache(_ node: Node, field: String, into cache: inout AgentConfiguration.FlowCache) throws {
        let known = ["idle-timeout", "active-timeout", "capacity"]
        for (key, value, field) in try entries(of: node, field: field, known: known) {
            switch key {
            case "idle-timeout": cache.idleTimeout = try duration(value, field: field)
            case "active-timeout": cache.activeTimeout = try duration(value, field: field, allowZero: true)
            default: cache.capacity = try integer(value, field: field, minimum: 1)
            }
        }
    }

    func readStore(_ node: Node, field: String, into store: inout AgentConfiguration.Store) throws {
        let known = ["segment-size", "segment-age", "retention-size", "retention-age", "fsync", "compression-level", "flush-interval"]
        for (key, value, field) in try entries(of: node, field: field, known: known) {
            switch key {
            case "segment-size": store.segmentSize = try byteSize(value, field: field, minimum: 4096)
            case "segment-age": store.segmentAge = try duration(value, field: field)
            case "flush-interval": store.flushInterval = try duration(value, field: field)
            case "retention-size":
                store.retentionSize = try isUnlimited(value) ? nil : byteSize(value, field: field, minimum: 1)
            case "retention-age":
                store.retentionAge = try isUnlimited(value) ? nil : duration(value, field: field)
            case "compression-level":
                let level = try integer(value, field: field, minimum: 0)
                guard level == 0 || (3...12).contains(level) else {
                    throw failure("\(level) is not a compression level (0 for LZ4 fast, 3…12 for LZ4-HC)", at: value, field: field)
                }
                store.compressionLevel = level
            default: store.fsync = try fsyncPolicy(value, field: field)
            }
        }
    }

    /// `none`, `unlimited` or null: keep everything.
    func isUnlimited(_ node: Node) -> Bool {
        if isNull(node) { return true }
        guard case .scalar(let scalar) = node else { return false }
        return ["none", "unlimited"].contains(scalar.string.lowercased())
    }

    /// `every-block`, `on-seal`, or an interval such as `5s`.
    func fsyncPolicy(_ node: Node, field: String) throws -> AgentConfiguration.FsyncPolicy {
        let value = try text(node, field: field)
        switch value.lowercased() {
        case "every-block": return .everyBlock
        case "on-seal": return .onSeal
        default:
            guard let every = ConfigurationValue.duration(value), every > .zero else {
                throw failure("'\(value)' is not every-block, on-seal or an interval like 5s", at: node, field: field)
            }
            return .interval(every)
        }
    }

    func readRing(_ node: Node, field: String, into ring: inout AgentConfiguration.Ring) throws {
        for (key, value, field) in try entries(of: node, field: field, known: ["capacity", "overflow"]) {
            switch key {
            case "capacity":
                ring.capacity = try integer(value, field: field, minimum: 2)
                guard ring.capacity <= SPSCRing<FlowRecord>.maximumCapacity else {
                    throw failure("at most \(SPSCRing<FlowRecord>.maximumCapacity) slots", at: value, field: field)
                }
            default:
                ring.overflow = try choice(value, field: field, RingOverflowPolicy.allCases.map { ($0.rawValue, $0) })
            }
        }
    }

    func readMetrics(_ node: Node, field: String, into metrics: inout AgentConfiguration.Metrics) throws {
        let known = ["address", "allow-non-loopback", "max-connections", "request-timeout", "tls"]
        for (key, value, field) in try entries(of: node, field: field, known: known) {
            switch key {
            case "tls": metrics.tls = isNull(value) ? nil : try readTLS(value, field: field)
            case "address":
                if isNull(value) || (try? text(value, field: field).lowercased()) == "off" {
                    metrics.address = nil
                } else {
                    let address = try text(value, field: field)
                    do {
                        _ = try ListenAddress(parsing: address)
                    } catch let error as FlowlogError {
                        throw failure(error.message, at: value, field: field)
                    }
                    metrics.address = address
                }
            case "max-connections": metrics.maxConnections = try integer(value, field: field, minimum: 4)
            case "request-timeout": metrics.requestTimeout = try duration(value, field: field)
            default: metrics.allowNonLoopback = try bool(value, field: field)
            }
        }
    }

    func readTLS(_ node: Node, field: String) throws -> AgentConfiguration.TLSFiles {
        var tls = AgentConfiguration.TLSFiles()
        let known = ["certificate", "key", "client-ca", "client-certificates"]
        for (key, value, field) in try entries(of: node, field: field, known: known) {
            switch key {
            case "certificate": tls.certificate = try optionalText(value, field: field)
            case "key": tls.key = try optionalText(value, field: field)
            case "client-ca": tls.clientCA = try optionalText(value, field: field)
            default:
                tls.clientCertificates = try choice(value, field: field, AgentConfiguration.ClientCertificates.allCases.map { ($0.rawValue, $0) })
            }
        }
        return tls
    }

    func readAudit(_ node: Node, field: String, into audit: inout AgentConfiguration.Audit) throws {
        let known = ["directory", "log-file", "webhook", "webhook-max-body", "bearer-token-file"]
        for (key, value, field) in try entries(of: node, field: field, known: known) {
            switch key {
            case "directory": audit.directory = try optionalText(value, field: field)
            case "log-file": audit.logFile = try optionalText(value, field: field)
            case "webhook": audit.webhook = try bool(value, field: field)
            case "webhook-max-body": audit.webhookMaxBody = try byteSize(value, field: field, minimum: 4096)
            default: audit.bearerTokenFile = try optionalText(value, field: field)
            }
        }
    }

    func readEvidence(_ node: Node, field: String, into evidence: inout AgentConfiguration.Evidence) throws {
        for (key, value, field) in try entries(of: node, field: field, known: ["signing-key", "digest-interval"]) {
            switch key {
            case "signing-key": evidence.signingKey = try optionalText(value, field: field)
            default: evidence.digestInterval = try duration(value, field: field)
            }
        }
    }

    func readReports(_ node: Node, field: String, into reports: inout AgentConfiguration.ReportSchedule) throws {
        let known = ["specs", "delay", "check-interval", "private-nets"]
        for (key, value, field) in try entries(of: node, field: field, known: known) {
            switch key {
            case "specs": reports.specs = try strings(value, field: field)
            case "delay": reports.delay = try duration(value, field: field, allowZero: true)
            case "check-interval": reports.checkInterval = try duration(value, field: field)
            default:
                let nets = try strings(value, field: field)
                for net in nets where IPPrefix(net) == nil {
                    throw failure("'\(net)' is not a CIDR", at: value, field: field)
                }
                reports.privateNets = nets
            }
        }
    }

    func readLog(_ node: Node, field: String, into log: inout AgentConfiguration.Log) throws {
        for (key, value, field) in try entries(of: node, field: field, known: ["level", "format"]) {
            switch key {
            case "level":
                log.level = try choice(value, field: field, Logger.Level.allCases.map { ($0.rawValue, $0) })
            default:
                log.format = try choice(value, field: field, LogFormat.allCases.map { ($0.rawValue, $0) })
            }
        }
    }

    func readExport(_ node: Node, field: String, into export: inout AgentConfiguration.Export) throws {
        for (key, value, field) in try entries(of: node, field: field, known: ["clickhouse", "siem"]) {
            if key == "siem" {
                guard case .mapping = value else {
                    throw failure("expected a mapping with a sinks list (docs/siem.md)", at: value, field: field)
                }
                // The SIEM exporter reads the sinks from the whole text (`AgentConfiguration.parse`
                // fills it in), so its errors carry this file's positions.
                export.siem = AgentConfiguration.SIEMExportSection(text: "", file: file)
            } else {
                export.clickhouse = try readClickHouseExport(value, field: field)
            }
        }
    }

    func readClickHouseExport(_ node: Node, field: String) throws -> AgentConfiguration.ClickHouseExport {
        let known = ["url", "database", "table", "user", "password-file", "filter", "batch-rows", "format", "poll-interval", "create", "checkpoint", "audit-table",
                     "report-table", "reports", "shutdown-drain"]
        var result = AgentConfiguration.ClickHouseExport(url: "")
        var sawURL = false
        for (key, value, field) in try entries(of: node, field: field, known: known) {
            switch key {
            case "url":
                result.url = try text(value, field: field)
                guard result.url.hasPrefix("http://") else { throw failure("'\(result.url)' is not an http://HOST:PORT address", at: value, field: field) }
                sawURL = true
            case "database", "table", "audit-table", "report-table":
                let name = try text(value, field: field)
                guard let first = name.utf8.first, !(48...57).contains(first),
                      name.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 95 }) else {
                    throw failure("'\(name)' is not a plain name (letters, digits, _; not starting with a digit)", at: value, field: field)
                }
                switch key {
                case "database": result.database = name
                case "table": result.table = name
                case "report-table": result.reportTable = name
                default: result.auditTable = name
                }
            case "user": result.user = try optionalText(value, field: field)
            case "password-file": result.passwordFile = try optionalText(value, field: field)
            case "filter": result.filter = try optionalText(value, field: field) ?? ""
            case "batch-rows":
                result.batchRows = try integer(value, field: field, minimum: 1)
                guard result.batchRows <= 1_000_000 else { throw failure("at most 1000000 rows per insert", at: value, field: field) }
            case "format":
                let name = try text(value, field: field)
                guard ["native", "rowbinary"].contains(name) else { throw failure("'\(name)' is not native or rowbinary", at: value, field: field) }
                result.format = name
            case "poll-interval": result.pollInterval = try duration(value, field: field)
            case "shutdown-drain":
                result.shutdownDrain = try duration(value, field: field, allowZero: true)
                guard result.shutdownDrain <= .seconds(600) else { throw failure("at most 10m: the agent's shutdown waits for it", at: value, field: field) }
            case "create": result.create = try bool(value, field: field)
            case "reports": result.reports = try bool(value, field: field)
            default: result.checkpoint = try optionalText(value, field: field)
            }
        }
        guard sawURL else { throw failure("export.clickhouse needs a url", at: node, field: field) }
        if result.passwordFile != nil && result.user == nil { throw failure("password-file needs a user", at: node, field: field) }
        return result
    }
}
