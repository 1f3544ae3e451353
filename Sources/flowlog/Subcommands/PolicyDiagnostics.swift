#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Pipeline

/// Writes the policy and selector commands' diagnostics to standard error.
enum PolicyDiagnostics {
    static func write(_ text: String) {
        writeAll(text, to: STDERR_FILENO)
    }
}
