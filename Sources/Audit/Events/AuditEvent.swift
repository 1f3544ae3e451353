import FlowCore

/// The parts of an audit.k8s.io/v1 `Event` that versions and queries need, as kube-apiserver
/// writes it (`--audit-log-path`, one per line, or an `EventList` from the webhook backend).
public struct AuditEvent: Sendable, Hashable {
    public var auditID: String
    public var level: String
    public var stage: String
    public var verb: String
    public var requestURI: String
    public var user: AuditAuthor
    public var objectRef: ObjectReference?
    /// `responseStatus.code`; nil when the API server recorded none.
    public var responseCode: Int?
    public var requestObject: JSONValue?
    public var responseObject: JSONValue?
    public var requestReceived: Timestamp?
    public var stageTime: Timestamp?

    /// The `objectRef` of an event: which object, in which API group and version.
    public struct ObjectReference: Sendable, Hashable {
        public var resource: String
        public var namespace: String
        public var name: String
        public var apiGroup: String
        public var apiVersion: String
        public var resourceVersion: String
        public var subresource: String
    }

    /// `dryRun=All` in the request's query string: the API server validated but stored nothing.
    public var isDryRun: Bool {
        guard let query = requestURI.split(separator: "?", maxSplits: 1).dropFirst().first else { return false }
        return query.split(separator: "&").contains { $0.hasPrefix("dryRun=") }
    }
}

/// Who made a change: as the audit event names them, or `file:<path>` for the agent's own reloads.
public struct AuditAuthor: Sendable, Hashable {
    public var username: String
    public var groups: [String]
    /// The last of `sourceIPs`, the only one the API server can vouch for.
    public var sourceIP: String
    /// Client-supplied and untrusted; kept because reviewers ask for it.
    public var userAgent: String
    /// The node that recorded a manifest reload; empty for audit events.
    public var node: String

    public init(username: String, groups: [String] = [], sourceIP: String = "", userAgent: String = "", node: String = "") {
        self.username = username
        self.groups = groups
        self.sourceIP = sourceIP
        self.userAgent = userAgent
        self.node = node
    }
}
