import FlowCore

/// Linseed-style filters over stored versions: each list is ORed within itself, and the
/// lists are ANDed. Empty lists do not filter.
public struct AuditQuery: Sendable {
    public var since: Timestamp?
    public var until: Timestamp?
    public var resources: [AuditedResource] = []
    public var namespaces: [String] = []
    /// Object names; a trailing `*` matches by prefix.
    public var names: [String] = []
    public var verbs: [String] = []
    /// User names; a trailing `*` matches by prefix (`system:node:*`).
    public var authors: [String] = []
    public var responseCodes: [Int] = []

    public init() {}

    public func matches(_ version: ObjectVersion) -> Bool {
        if let since, version.time < since { return false }
        if let until, version.time >= until { return false }
        if !resources.isEmpty && !resources.contains(version.key.resource) { return false }
        if !namespaces.isEmpty && !namespaces.contains(version.key.namespace) { return false }
        if !names.isEmpty && !names.contains(where: { Self.match($0, version.key.name) }) { return false }
        if !verbs.isEmpty && !verbs.contains(version.verb) { return false }
        if !authors.isEmpty && !authors.contains(where: { Self.match($0, version.author.username) }) { return false }
        if !responseCodes.isEmpty && !responseCodes.contains(version.responseCode ?? -1) { return false }
        return true
    }

    static func match(_ pattern: String, _ value: String) -> Bool {
        pattern.hasSuffix("*") ? value.hasPrefix(pattern.dropLast()) : pattern == value
    }

    public func run(on history: AuditHistory) -> [ObjectVersion] {
        history.versions.filter(matches).sorted { ($0.time, $0.sequence) < ($1.time, $1.sequence) }
    }
}
