import FlowCore

/// Renders a filter error for a terminal: the message, the filter, and a caret under the column.
public enum FilterDiagnostic {
    public static func render(_ error: FlowlogError, filter: String) -> String {
        var text = "error: \(error)\n"
        guard let column = error.location?.column, error.location?.field == "filter" else { return text }
        text += "  \(filter)\n"
        text += "  " + String(repeating: " ", count: max(column - 1, 0)) + "^\n"
        return text
    }
}
