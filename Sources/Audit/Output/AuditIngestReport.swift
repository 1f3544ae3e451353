/// What `audit ingest` did, in any `-o` format.
public enum AuditIngestReport {
    public static func record(_ report: AuditIngest.Report) -> JSONValue {
        let skipped = VersionBuilder.Skip.allCases.compactMap { reason -> JSONMember? in
            guard let count = report.skipped[reason] else { return nil }
            return JSONMember(String(describing: reason.key), .number(String(count)))
        }
        return .object([
            .init("files", .number(String(report.files))),
            .init("events", .number(String(report.events))),
            .init("versions", .number(String(report.versions))),
            .init("skipped", .object(skipped)),
            .init("bad_lines", .number(String(report.badLineCount))),
            .init("bad", .array(report.badLines.map { bad in
                .object([.init("file", .string(bad.file)), .init("line", .number(String(bad.line))),
                         .init("column", bad.column.map { .number(String($0)) } ?? .null), .init("reason", .string(bad.reason))])
            })),
        ])
    }

    public static func render(_ report: AuditIngest.Report, format: AuditOutputFormat) -> String {
        switch format {
        case .json: return record(report).prettyText() + "\n"
        case .ndjson: return record(report).compactText + "\n"
        case .yaml: return YAMLText.document(record(report))
        case .csv, .table:
            var rows = [["files", String(report.files)], ["events", String(report.events)], ["versions", String(report.versions)]]
            for reason in VersionBuilder.Skip.allCases {
                if let count = report.skipped[reason] { rows.append(["skipped: \(reason)", String(count)]) }
            }
            rows.append(["bad lines", String(report.badLineCount)])
            return format == .csv ? TextTable.csv(header: ["what", "count"], rows: rows)
                : TextTable.render(header: ["WHAT", "COUNT"], rows: rows)
        }
    }
}

extension VersionBuilder.Skip {
    /// The reason as a JSON key.
    public var key: String {
        switch self {
        case .stage: return "stage"
        case .readOnly: return "read_only"
        case .kind: return "kind"
        case .subresource: return "subresource"
        case .failed: return "failed"
        case .dryRun: return "dry_run"
        case .duplicate: return "duplicate"
        case .noObject: return "no_object"
        case .stale: return "stale"
        case .unchanged: return "unchanged"
        }
    }
}
