#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore

/// The few POSIX calls the audit store makes, each failure a `FlowlogError` naming the file and call.
enum AuditFileSystem {
    static func error(_ call: String, _ path: String, errno code: Int32 = errno) -> FlowlogError {
        let kind: FlowlogError.Code
        switch code {
        case ENOENT: kind = .fileNotFound
        case EACCES, EPERM: kind = .permissionDenied
        default: kind = .io
        }
        return FlowlogError(kind, String(cString: strerror(code)), location: .init(file: path), call: call)
    }

    static func createDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw error("mkdir", prefix) }
        }
    }

    /// Names in `directory` (not recursive, no `.`/`..`), sorted.
    static func list(_ directory: String) throws -> [String] {
        guard let handle = opendir(directory) else { throw error("opendir", directory) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func readAll(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw error("open", path) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw error("read", path)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw error("rename", from) }
    }

    static func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw error("open", path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw error("fsync", path) }
    }

    /// Takes the directory's writer lock; fails at once if another process holds it.
    static func lock(_ directory: String) throws -> Int32 {
        let path = directory + "/" + AuditStoreFormat.lockName
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw error("open", path) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK {
                throw FlowlogError(.invalidArgument, "another writer has this audit store open", location: .init(file: directory), call: "flock")
            }
            throw error("flock", path, errno: code)
        }
        return descriptor
    }

    static func unlock(_ descriptor: Int32) {
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// The open audit file: appends whole lines, syncs on demand.
final class AuditAppendFile {
    let path: String
    private let descriptor: Int32
    private(set) var size: UInt64

    /// Opens (creating) `path` for appending, after cutting any torn last line.
    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw AuditFileSystem.error("open", path) }
        self.descriptor = descriptor
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            close(descriptor)
            throw AuditFileSystem.error("fstat", path)
        }
        size = UInt64(status.st_size)
    }

    deinit { close(descriptor) }

    /// Cuts the file to `length` bytes (dropping a torn tail).
    func truncate(to length: UInt64) throws {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw AuditFileSystem.error("ftruncate", path) }
        size = length
    }

    func append(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(size) + off_t(offset)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw AuditFileSystem.error("write", path)
            }
            offset += written
        }
        size += UInt64(bytes.count)
    }

    func sync() throws {
        guard fsync(descriptor) == 0 else { throw AuditFileSystem.error("fsync", path) }
    }
}
