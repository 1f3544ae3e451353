import FlowCore
import FlowRing
import Logging

extension AgentConfiguration {
    /// The values given on the command line; nil means "not given", so the file's value (or the
    /// default) stays. A list given on the command line replaces the file's list.
    public struct Overrides: Hashable, Sendable {
        public var interfaces: [String]?
        public var filter: String?
        public var snaplen: Int?
        public var promiscuous: Bool?
        public var bufferSize: Int?
        public var directRing: Bool?
        public var clusterManifests: [String]?
        public var manifestPollInterval: Duration?
        public var dataDirectory: String?
        public var nodeName: String?
        public var idleTimeout: Duration?
        public var activeTimeout: Duration?
        public var flowCacheCapacity: Int?
        public var segmentSize: Int?
        public var segmentAge: Duration?
        public var retentionSize: Int?
        public var retentionAge: Duration?
        public var fsync: FsyncPolicy?
        public var ringCapacity: Int?
        public var ringOverflow: RingOverflowPolicy?
        /// `host:port`, or "off" to turn the endpoint off.
        public var metricsAddress: String?
        public var allowNonLoopbackMetrics: Bool?
        public var auditDirectory: String?
        public var auditLogFile: String?
        public var auditWebhook: Bool?
        public var signingKey: String?
        public var logLevel: Logger.Level?
        public var logFormat: LogFormat?
        public var cisInterval: Duration?

        public init() {}
    }

    /// This configuration with every given override applied: flags win over the file.
    public func merging(_ overrides: Overrides) -> AgentConfiguration {
        var result = self
        func apply<Value>(_ value: Value?, to target: inout Value) {
            if let value { target = value }
        }
        apply(overrides.interfaces, to: &result.capture.interfaces)
        if let filter = overrides.filter { result.capture.filter = filter }
        apply(overrides.snaplen, to: &result.capture.snaplen)
        apply(overrides.promiscuous, to: &result.capture.promiscuous)
        apply(overrides.bufferSize, to: &result.capture.bufferSize)
        apply(overrides.directRing, to: &result.capture.directRing)
        apply(overrides.clusterManifests, to: &result.cluster.manifests)
        apply(overrides.manifestPollInterval, to: &result.cluster.pollInterval)
        if let directory = overrides.dataDirectory { result.dataDirectory = directory }
        if let name = overrides.nodeName { result.nodeName = name }
        apply(overrides.idleTimeout, to: &result.flowCache.idleTimeout)
        apply(overrides.activeTimeout, to: &result.flowCache.activeTimeout)
        apply(overrides.flowCacheCapacity, to: &result.flowCache.capacity)
        if let interval = overrides.cisInterval { result.compliance.cisInterval = interval }
        apply(overrides.segmentSize, to: &result.store.segmentSize)
        apply(overrides.segmentAge, to: &result.store.segmentAge)
        if let size = overrides.retentionSize { result.store.retentionSize = size }
        if let age = overrides.retentionAge { result.store.retentionAge = age }
        apply(overrides.fsync, to: &result.store.fsync)
        apply(overrides.ringCapacity, to: &result.ring.capacity)
        apply(overrides.ringOverflow, to: &result.ring.overflow)
        if let address = overrides.metricsAddress {
            result.metrics.address = address.lowercased() == "off" ? nil : address
        }
        apply(overrides.allowNonLoopbackMetrics, to: &result.metrics.allowNonLoopback)
        if let directory = overrides.auditDirectory { result.audit.directory = directory }
        if let file = overrides.auditLogFile { result.audit.logFile = file }
        apply(overrides.auditWebhook, to: &result.audit.webhook)
        if let key = overrides.signingKey { result.evidence.signingKey = key }
        apply(overrides.logLevel, to: &result.log.level)
        apply(overrides.logFormat, to: &result.log.format)
        return result
    }

    /// Checks what a file cannot check alone: the merged result is complete and consistent.
    /// Throws `FlowlogError` naming the field.
    public func validated() throws -> AgentConfiguration {
        func invalid(_ field: String, _ message: String) -> FlowlogError {
            FlowlogError(.validation, message, location: .init(field: field))
        }
        if capture.interfaces.isEmpty {
            throw invalid("capture.interfaces", "no interface to capture on (give --interface or capture.interfaces)")
        }
        if (dataDirectory ?? "").isEmpty {
            throw invalid("data-directory", "no data directory (give --data or data-directory)")
        }
        if capture.snaplen < 64 { throw invalid("capture.snaplen", "must be at least 64 bytes") }
        if flowCache.capacity < 1 { throw invalid("flow-cache.capacity", "must be at least 1") }
        if flowCache.idleTimeout <= .zero { throw invalid("flow-cache.idle-timeout", "must be longer than zero") }
        if ring.capacity < 2 || ring.capacity > SPSCRing<Int>.maximumCapacity {
            throw invalid("ring.capacity", "must be between 2 and \(SPSCRing<Int>.maximumCapacity)")
        }
        if store.segmentSize < 4096 { throw invalid("store.segment-size", "must be at least 4096 bytes") }
        if compliance.cisInterval != nil && cluster.manifests.isEmpty && compliance.kubeBench.isEmpty {
            throw invalid("compliance.cis.interval", "the CIS benchmark needs cluster.manifests (--cluster) or compliance.cis.kube-bench")
        }
        if let address = metrics.address {
            let parsed: ListenAddress
            do {
                parsed = try ListenAddress(parsing: address)
            } catch let error as FlowlogError {
                throw invalid("metrics.address", error.message)
            }
            if !parsed.isLoopback && !metrics.allowNonLoopback {
                throw invalid(
                    "metrics.address",
                    "\(parsed) is not a loopback address; set metrics.allow-non-loopback to serve it")
            }
        }
        if audit.directory == nil && (audit.logFile != nil || audit.webhook) {
            throw invalid("audit.directory", "following an audit log or serving the webhook needs audit.directory (or --audit)")
        }
        if audit.webhook && metrics.address == nil {
            throw invalid("audit.webhook", "the webhook is served by the metrics server, which is off (metrics.address)")
        }
        if let tls = metrics.tls {
            if tls.certificate == nil { throw invalid("metrics.tls.certificate", "HTTPS needs the server's certificate (PEM)") }
            if tls.key == nil { throw invalid("metrics.tls.key", "HTTPS needs the server's private key (PEM)") }
        }
        if evidence.digestInterval < .seconds(1) { throw invalid("evidence.digest-interval", "must be at least 1s") }
        if metrics.requestTimeout < .milliseconds(100) { throw invalid("metrics.request-timeout", "must be at least 100ms") }
        return self
    }
}

