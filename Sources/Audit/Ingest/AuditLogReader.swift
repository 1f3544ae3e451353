#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore

/// Reads an audit log (`--audit-log-path` output: one JSON `Event` a line) in chunks, handing
/// out whole lines with their numbers, however large the file.
///
/// A line longer than `maximumLineBytes` is reported and skipped up to the next newline. The
/// last line may lack its newline: a crash or a rotation mid-write; it is handed out as
/// `partial` so the caller decides (offline ingest tries it; a follower waits for the rest).
public final class AuditLogReader {
    public let path: String
    public let maximumLineBytes: Int
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private var skippingLongLine = false
    /// Bytes consumed from the file (whole lines handed out).
    public private(set) var consumedBytes: UInt64
    public private(set) var lineNumber = 0

    public enum Line {
        case complete(line: Int, bytes: ArraySlice<UInt8>)
        /// Bytes after the last newline at end of file.
        case partial(line: Int, bytes: ArraySlice<UInt8>)
        case tooLong(line: Int, bytes: Int)
    }

    /// Opens `path` and starts at byte `offset` (a follower resuming), at line `firstLine - 1`.
    public init(path: String, offset: UInt64 = 0, firstLine: Int = 1, maximumLineBytes: Int = 16 << 20) throws {
        self.path = path
        self.maximumLineBytes = maximumLineBytes
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw AuditFileSystem.error("open", path) }
        if offset > 0, lseek(descriptor, off_t(offset), SEEK_SET) < 0 {
            close(descriptor)
            throw AuditFileSystem.error("lseek", path)
        }
        self.descriptor = descriptor
        consumedBytes = offset
        lineNumber = firstLine - 1
    }

    deinit { close(descriptor) }

    /// The next line, or nil at end of file (a later call may find more: the file grew).
    public func next() throws -> Line? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                let line = buffer[start..<newline]
                consumedBytes += UInt64(newline + 1 - start)
                start = newline + 1
                lineNumber += 1
                if skippingLongLine {
                    skippingLongLine = false
                    continue
                }
                return .complete(line: lineNumber, bytes: line)
            }
            let pending = buffer.count - start
            if pending > maximumLineBytes && !skippingLongLine {
                skippingLongLine = true
                consumedBytes += UInt64(pending)
                start = buffer.count
                return .tooLong(line: lineNumber + 1, bytes: pending)
            }
            if skippingLongLine {
                consumedBytes += UInt64(pending)
                start = buffer.count
            }
            guard try fill() else {
                let rest = buffer.count - start
                guard rest > 0, !skippingLongLine else { return nil }
                return .partial(line: lineNumber + 1, bytes: buffer[start...])
            }
        }
    }

    /// Marks a partial last line as consumed (offline ingest, which read it anyway).
    public func consumePartial() {
        consumedBytes += UInt64(buffer.count - start)
        start = buffer.count
        lineNumber += 1
    }

    /// Reads more of the file; false at end of file.
    private func fill() throws -> Bool {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        let chunk = 1 << 20
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + old, chunk) }
            if count < 0 {
                if errno == EINTR { continue }
                buffer.removeSubrange(old...)
                throw AuditFileSystem.error("read", path)
            }
            buffer.removeSubrange((old + count)...)
            return count > 0
        }
    }

    /// The file's identity and size now, to notice rotation (a new inode) and truncation.
    public func identity() -> (device: UInt64, inode: UInt64)? {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        return (UInt64(status.st_dev), UInt64(status.st_ino))
    }
}
