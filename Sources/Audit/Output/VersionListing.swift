import FlowCore

/// Versions printed in any `-o` format: a table or CSV row each, or the stored record (with the
/// one-line summary added) as JSON, NDJSON or YAML.
public struct VersionListing {
    public enum Columns: Sendable {
        /// `audit query`: across objects.
        case events
        /// `audit history`: one object's timeline.
        case timeline
    }

    public let history: AuditHistory
    private let previous: [UInt64: JSONValue]

    public init(history: AuditHistory) {
        self.history = history
        var last: [ObjectKey: JSONValue?] = [:]
        var previous: [UInt64: JSONValue] = [:]
        for version in history.versions {
            if let before = last[version.key], let object = before { previous[version.sequence] = object }
            last[version.key] = .some(version.object)
        }
        self.previous = previous
    }

    public func summary(of version: ObjectVersion) -> String {
        VersionSummary.line(for: version, previous: previous[version.sequence])
    }

    /// The object's previous version's content, nil for the first or after a delete.
    public func previousObject(of version: ObjectVersion) -> JSONValue? { previous[version.sequence] }

    static func author(_ version: ObjectVersion) -> String {
        version.author.node.isEmpty ? version.author.username : "\(version.author.username) (\(version.author.node))"
    }

    public func render(_ versions: [ObjectVersion], columns: Columns, format: AuditOutputFormat) -> String {
        switch format {
        case .table:
            switch columns {
            case .events:
                return TextTable.render(
                    header: ["TIME", "OBJECT", "VERSION", "VERB", "AUTHOR", "CODE", "SUMMARY"],
                    rows: versions.map { v in
                        [Self.shortTime(v.time), v.key.description, String(v.version), v.verb + (v.subresource.isEmpty ? "" : "/" + v.subresource),
                         Self.author(v), v.responseCode.map(String.init) ?? "-", summary(of: v)]
                    })
            case .timeline:
                return TextTable.render(
                    header: ["VERSION", "TIME", "VERB", "AUTHOR", "SUMMARY"],
                    rows: versions.map { v in
                        [String(v.version), Self.shortTime(v.time), v.verb + (v.subresource.isEmpty ? "" : "/" + v.subresource),
                         Self.author(v), summary(of: v)]
                    })
            }
        case .csv:
            return TextTable.csv(
                header: ["sequence", "time", "object", "kind", "api_group", "namespace", "name", "version", "verb", "subresource",
                         "user", "groups", "source_ip", "user_agent", "node", "code", "audit_id", "cause", "resource_version",
                         "hash", "previous_hash", "summary"],
                rows: versions.map { v in
                    [String(v.sequence), v.time.rfc3339, v.key.description, v.key.resource.kind, v.key.resource.group, v.key.namespace,
                     v.key.name, String(v.version), v.verb, v.subresource, v.author.username, v.author.groups.joined(separator: ";"),
                     v.author.sourceIP, v.author.userAgent, v.author.node, v.responseCode.map(String.init) ?? "", v.auditID,
                     v.cause.description, v.resourceVersion, v.hash, v.previousHash ?? "", summary(of: v)]
                })
        case .json:
            return JSONValue.array(versions.map(record)).prettyText() + "\n"
        case .ndjson:
            return versions.map { record($0).compactText + "\n" }.joined()
        case .yaml:
            return versions.isEmpty ? "[]\n" : YAMLText.document(.array(versions.map(record)))
        }
    }

    /// The stored record with `summary` after `previousHash`.
    public func record(_ version: ObjectVersion) -> JSONValue {
        guard case .object(var members) = version.record else { return version.record }
        let at = members.firstIndex { $0.key == "patch" } ?? members.count
        members.insert(JSONMember("summary", .string(summary(of: version))), at: at)
        return .object(members)
    }

    /// `2026-11-23T07:08:24Z`: seconds are enough to read a table; CSV and JSON keep nanoseconds.
    static func shortTime(_ time: Timestamp) -> String {
        let full = time.rfc3339
        guard let dot = full.firstIndex(of: ".") else { return full }
        return String(full[..<dot]) + "Z"
    }
}
