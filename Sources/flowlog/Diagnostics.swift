import Pipeline

/// Messages to standard error, all with the one prefix (`flowlog: error: `, `flowlog: warning: `).
enum Diagnostics {
    static func error(_ message: String) { write("flowlog: error: " + message) }
    static func warning(_ message: String) { write("flowlog: warning: " + message) }
    static func note(_ message: String) { write("flowlog: " + message) }

    /// Text already carrying its prefix, or continuation lines.
    static func write(_ text: String) {
        writeAll(text.hasSuffix("\n") ? text : text + "\n", to: 2)
    }
}
