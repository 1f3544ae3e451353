import FlowCore
import Policy

/// The cluster's policy state in effect from `validFrom` until the next state.
public struct PolicyState: Sendable {
    public let validFrom: Timestamp
    public let cluster: Cluster

    public init(validFrom: Timestamp, cluster: Cluster) {
        self.validFrom = validFrom
        self.cluster = cluster
    }
}

/// Where a report's policy state comes from, as the report states it in its header and JSON.
public struct StateProvenance: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// Manifests read once: every moment of the interval is assumed to look like them.
        case pointInTime = "point-in-time"
        /// A version history: every state in effect during the interval is assessed.
        case history
    }

    public let kind: Kind
    /// What was read (manifest paths, the history directory).
    public let sources: [String]

    public init(kind: Kind, sources: [String]) {
        self.kind = kind
        self.sources = sources
    }

    /// One sentence for the report's header.
    public var statement: String {
        switch kind {
        case .pointInTime:
            return "Policy state: a single point in time (the manifests as given), assumed for the whole interval; changes during the interval are not seen."
        case .history:
            return "Policy state: the version history over the interval; an endpoint is in scope if it matched at any moment, and protected only if protected at every moment."
        }
    }
}

/// A created, modified or deleted policy (policy-audit reports).
public struct PolicyChange: Sendable, Hashable {
    public enum Verb: String, Sendable, Hashable { case create, modify, delete }
    public let time: Timestamp
    public let verb: Verb
    /// `GlobalNetworkPolicy`, `NetworkPolicy`, `StagedNetworkPolicy`, …
    public let kind: String
    public let namespace: String
    public let name: String
    /// Who made it (the API server's authenticated user).
    public let author: String
    /// The change as the history stores it (an audit event or a version document), for events.json/yaml.
    public let document: String

    public init(time: Timestamp, verb: Verb, kind: String, namespace: String, name: String, author: String, document: String) {
        self.time = time
        self.verb = verb
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.author = author
        self.document = document
    }
}

/// Pluggable source of the policy state over a report's interval: manifests (one point in
/// time) or a version history.
public protocol PolicyStateSource: Sendable {
    var provenance: StateProvenance { get }
    /// The states in effect during `[start, end)`, oldest first; the first is in effect at `start`.
    func states(from start: Timestamp, to end: Timestamp) throws -> [PolicyState]
    /// Policy changes during `[start, end)`; nil when the source keeps no history.
    func policyChanges(from start: Timestamp, to end: Timestamp) throws -> [PolicyChange]?
}

/// Manifests as one point in time.
public struct ManifestStateSource: PolicyStateSource {
    public let cluster: Cluster
    public let provenance: StateProvenance

    public init(cluster: Cluster, paths: [String]) {
        self.cluster = cluster
        self.provenance = StateProvenance(kind: .pointInTime, sources: paths)
    }

    public func states(from start: Timestamp, to end: Timestamp) throws -> [PolicyState] {
        [PolicyState(validFrom: start, cluster: cluster)]
    }

    public func policyChanges(from start: Timestamp, to end: Timestamp) throws -> [PolicyChange]? { nil }
}
