#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore

// Module-qualified so the methods named `close` and `move` below do not shadow them.
private func closeDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}

private func renameFile(_ from: String, _ to: String) -> Int32 {
    #if canImport(Glibc)
    return Glibc.rename(from, to)
    #else
    return Darwin.rename(from, to)
    #endif
}

/// The store's one wrapper over POSIX file calls: retries EINTR and short transfers, and turns
/// failures into `FlowlogError`s naming the call, the path and errno's text.
struct PosixFile {
    let descriptor: Int32
    let path: String

    static func error(_ call: String, _ path: String, errno code: Int32 = errno, offset: UInt64? = nil) -> FlowlogError {
        let kind: FlowlogError.Code
        switch code {
        case ENOENT, ENOTDIR: kind = .fileNotFound
        case EACCES, EPERM: kind = .permissionDenied
        default: kind = .io
        }
        return FlowlogError(kind, String(cString: strerror(code)), location: .init(file: path, offset: offset), call: call)
    }

    /// Opens for reading.
    static func openForReading(_ path: String) throws -> PosixFile {
        let fd = retrying { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw error("open", path) }
        return PosixFile(descriptor: fd, path: path)
    }

    /// Opens for appending, creating the file when `create` (failing if it exists).
    static func openForWriting(_ path: String, create: Bool) throws -> PosixFile {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0)
        let fd = retrying { open(path, flags, 0o644) }
        guard fd >= 0 else { throw error("open", path) }
        return PosixFile(descriptor: fd, path: path)
    }

    func close() { closeDescriptor(descriptor) }

    var size: UInt64 {
        get throws {
            var info = stat()
            guard fstat(descriptor, &info) == 0 else { throw Self.error("fstat", path) }
            return UInt64(info.st_size)
        }
    }

    /// The last modification time (stands in for a damaged segment header's creation time).
    var modified: Timestamp {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .zero }
        #if canImport(Darwin)
        let time = info.st_mtimespec
        #else
        let time = info.st_mtim
        #endif
        return Timestamp(nanoseconds: UInt64(max(time.tv_sec, 0)) &* 1_000_000_000 &+ UInt64(max(time.tv_nsec, 0)))
    }

    /// Reads exactly `count` bytes at `offset` into `buffer` (resized); fewer only at end of file.
    func read(into buffer: inout [UInt8], count: Int, at offset: UInt64) throws -> Int {
        if buffer.count < count { buffer = [UInt8](repeating: 0, count: count) }
        var done = 0
        try buffer.withUnsafeMutableBytes { raw in
            while done < count {
                let n = pread(descriptor, raw.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Self.error("pread", path, offset: offset + UInt64(done))
                }
                if n == 0 { break }
                done += n
            }
        }
        return done
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw Self.error("pwrite", path, offset: offset + UInt64(done))
            }
            done += n
        }
    }

    func write(_ bytes: [UInt8], at offset: UInt64) throws {
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }

    func sync() throws {
        guard Self.retrying({ fsync(descriptor) }) == 0 else { throw Self.error("fsync", path) }
    }

    func truncate(to length: UInt64) throws {
        guard Self.retrying({ ftruncate(descriptor, off_t(length)) }) == 0 else { throw Self.error("ftruncate", path, offset: length) }
    }

    private static func retrying(_ call: () -> Int32) -> Int32 {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }
}

/// Directory-level calls: listing, creating, renaming, deleting, syncing and locking.
enum Directory {
    static func exists(_ path: String) -> (exists: Bool, isDirectory: Bool) {
        var info = stat()
        guard stat(path, &info) == 0 else { return (false, false) }
        return (true, (info.st_mode & S_IFMT) == S_IFDIR)
    }

    /// Creates `path` and missing parents.
    static func create(_ path: String) throws {
        if exists(path).isDirectory { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part + "/"
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw PosixFile.error("mkdir", prefix) }
        }
        guard exists(path).isDirectory else { throw FlowlogError(.invalidArgument, "exists and is not a directory", location: .init(file: path)) }
    }

    static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw PosixFile.error("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func move(_ from: String, to: String) throws {
        guard renameFile(from, to) == 0 else { throw PosixFile.error("rename", from) }
    }

    /// Deletes a file; a file already gone is not an error.
    static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw PosixFile.error("unlink", path) }
    }

    static func fileSize(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_size)
    }

    /// Makes renames and deletions in the directory durable.
    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw PosixFile.error("open", path) }
        defer { closeDescriptor(fd) }
        guard fsync(fd) == 0 else { throw PosixFile.error("fsync", path) }
    }

    /// Takes an exclusive advisory lock on `DIR/LOCK`, held until `unlock`; fails at once when
    /// another writer holds it.
    static func lock(_ directory: String) throws -> Int32 {
        let path = directory + "/" + SegmentFormat.lockName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PosixFile.error("open", path) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            closeDescriptor(fd)
            if code == EWOULDBLOCK {
                throw FlowlogError(.invalidArgument, "another writer has this store open", location: .init(file: directory), call: "flock")
            }
            throw PosixFile.error("flock", path, errno: code)
        }
        return fd
    }

    static func unlock(_ fd: Int32) {
        _ = flock(fd, LOCK_UN)
        closeDescriptor(fd)
    }

    /// Wall-clock now.
    static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: UInt64(ts.tv_sec), nanoseconds: UInt64(ts.tv_nsec))
    }
}
