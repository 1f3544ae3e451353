#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes all of `bytes` to a file descriptor, retrying partial writes and interruptions. Any
/// other failure (a closed pipe under `| head`) ends the write quietly: for logs, progress and
/// printed flows there is nothing useful left to do with the output.
public func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            return
        }
        offset += written
    }
}

/// `writeAll` for text, as UTF-8.
public func writeAll(_ text: String, to descriptor: Int32) { writeAll(Array(text.utf8), to: descriptor) }
