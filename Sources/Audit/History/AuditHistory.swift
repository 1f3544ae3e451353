import FlowCore

/// Every stored version of an audit directory, for questions about the past: what changed
/// when, and what the cluster looked like at an instant. The API compliance reports build on.
public struct AuditHistory: Sendable {
    /// In store (ingest) order; per object, in version order.
    public let versions: [ObjectVersion]

    public init(versions: [ObjectVersion]) {
        self.versions = versions
    }

    /// Loads `directory` (read-only; a writer may be appending meanwhile).
    public static func load(directory: String) throws -> AuditHistory {
        AuditHistory(versions: try AuditStoreReader.load(directory: directory))
    }

    /// Every version of one object, oldest first.
    public func versions(of key: ObjectKey) -> [ObjectVersion] {
        versions.filter { $0.key == key }
    }

    /// Versions whose time is in `[since, until)` (either bound may be open), in time order.
    public func versions(since: Timestamp? = nil, until: Timestamp? = nil) -> [ObjectVersion] {
        versions.filter { version in
            if let since, version.time < since { return false }
            if let until, version.time >= until { return false }
            return true
        }.sorted { ($0.time, $0.sequence) < ($1.time, $1.sequence) }
    }

    /// The cluster as the history says it was at `instant`: for every object, its last version
    /// at or before then, unless that version is a delete.
    public func state(at instant: Timestamp) -> AuditState {
        var latest: [ObjectKey: ObjectVersion] = [:]
        for version in versions where version.time <= instant {
            if let current = latest[version.key], current.version > version.version { continue }
            latest[version.key] = version
        }
        var objects: [ObjectKey: JSONValue] = [:]
        for (key, version) in latest {
            if let object = version.object { objects[key] = object }
        }
        return AuditState(instant: instant, objects: objects)
    }
}
