/// Two versions of one object compared: unified YAML diff and RFC 6902 patch.
public struct VersionDiff {
    public let from: ObjectVersion
    public let to: ObjectVersion

    public init(from: ObjectVersion, to: ObjectVersion) {
        self.from = from
        self.to = to
    }

    static func label(_ version: ObjectVersion) -> String {
        "\(version.key) version \(version.version) (\(version.verb) by \(version.author.username) at \(version.time.rfc3339))"
    }

    public var unified: String {
        UnifiedDiff.lines(from: from.object.map(YAMLText.document) ?? "", to: to.object.map(YAMLText.document) ?? "",
                          oldLabel: Self.label(from), newLabel: Self.label(to))
    }

    /// The operations turning `from` into `to`; a delete or re-creation replaces the whole document.
    public var patch: JSONValue {
        switch (from.object, to.object) {
        case let (a?, b?): return JSONPatch.difference(from: a, to: b)
        case let (nil, b?): return .array([.object([.init("op", .string("add")), .init("path", .string("")), .init("value", b)])])
        case (_?, nil): return .array([.object([.init("op", .string("replace")), .init("path", .string("")), .init("value", .null)])])
        case (nil, nil): return .array([])
        }
    }

    private static func meta(_ v: ObjectVersion) -> JSONValue {
        .object([.init("version", .number(String(v.version))), .init("time", .string(v.time.rfc3339)), .init("verb", .string(v.verb)),
                 .init("user", .string(v.author.username)), .init("auditID", .string(v.auditID)), .init("hash", .string(v.hash))])
    }

    public func render(format: AuditOutputFormat) -> String {
        let operations = patch.arrayValue ?? []
        switch format {
        case .table:
            let text = unified
            return text.isEmpty ? "versions \(from.version) and \(to.version) of \(from.key) are identical\n" : text
        case .json, .yaml:
            let record = JSONValue.object([.init("object", .string(from.key.description)), .init("from", Self.meta(from)),
                                           .init("to", Self.meta(to)), .init("patch", patch), .init("diff", .string(unified))])
            return format == .json ? record.prettyText() + "\n" : YAMLText.document(record)
        case .ndjson:
            return operations.map { $0.compactText + "\n" }.joined()
        case .csv:
            return TextTable.csv(header: ["op", "path", "value"], rows: operations.map { op in
                [op["op"]?.stringValue ?? "", op["path"]?.stringValue ?? "", op["value"]?.compactText ?? ""]
            })
        }
    }
}
