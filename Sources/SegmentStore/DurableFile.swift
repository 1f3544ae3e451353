#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore

/// Small state files beside a store (an exporter's checkpoint) written the way the store
/// writes its MANIFEST: to a temporary name, synced, renamed over the old file, the directory
/// synced. A reader sees the old contents or the new, whole, even across a crash or power loss.
public enum DurableFile {
    /// Replaces `path` with `bytes`, creating the parent directory when missing.
    public static func replace(_ path: String, with bytes: [UInt8]) throws {
        let parent = parentDirectory(path)
        try Directory.create(parent)
        let temporary = path + ".tmp"
        try Directory.remove(temporary)
        let file = try PosixFile.openForWriting(temporary, create: true)
        do {
            try file.write(bytes, at: 0)
            try file.sync()
            file.close()
        } catch {
            file.close()
            throw error
        }
        try Directory.move(temporary, to: path)
        try Directory.sync(parent)
    }

    /// The file's bytes, nil when it does not exist.
    public static func read(_ path: String) throws -> [UInt8]? {
        let file: PosixFile
        do {
            file = try PosixFile.openForReading(path)
        } catch let error as FlowlogError where error.code == .fileNotFound {
            return nil
        }
        defer { file.close() }
        var bytes: [UInt8] = []
        let n = try file.read(into: &bytes, count: Int(try file.size), at: 0)
        return Array(bytes[0..<n])
    }

    /// An exclusive advisory lock on `path` (created when missing), held until `unlock`; fails
    /// at once, naming `holder`, when another process holds it.
    public static func lock(_ path: String, holder: String) throws -> Int32 {
        try Directory.create(parentDirectory(path))
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PosixFile.error("open", path) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            _ = close(fd)
            if code == EWOULDBLOCK {
                throw FlowlogError(.invalidArgument, "another \(holder) holds this lock", location: .init(file: path), call: "flock")
            }
            throw PosixFile.error("flock", path, errno: code)
        }
        return fd
    }

    public static func unlock(_ fd: Int32) { Directory.unlock(fd) }

    static func parentDirectory(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
