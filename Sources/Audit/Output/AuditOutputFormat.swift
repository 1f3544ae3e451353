/// `-o` of every audit command.
public enum AuditOutputFormat: String, Sendable, CaseIterable {
    case table, json, ndjson, csv, yaml

    public init(parsing text: String) throws(AuditArgumentError) {
        guard let format = AuditOutputFormat(rawValue: text.lowercased()) else {
            throw AuditArgumentError("-o: '\(text)' is not one of table, json, ndjson, csv, yaml")
        }
        self = format
    }
}
