/// How query results are printed.
public enum OutputFormat: String, CaseIterable, Sendable {
    /// Aligned columns for people (the default on a terminal).
    case table
    /// A header row, then one row per flow (the default into a pipe or file).
    case csv
    /// One JSON object per line.
    case ndjson
    /// One JSON array.
    case json
}
