/// How log lines are written to standard error.
public enum LogFormat: String, Hashable, Sendable, CaseIterable {
    /// `2026-11-23T07:08:24.123Z info flowlog: message key=value` for people.
    case text
    /// One JSON object per line (`ts`, `level`, `label`, `msg`, then the metadata) for collectors.
    case json
}
