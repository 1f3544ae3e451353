#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Pipeline

/// Writes the config and pack commands' diagnostics to standard error.
enum ConfigDiagnostics {
    static func write(_ text: String) {
        writeAll(text, to: STDERR_FILENO)
    }
}
