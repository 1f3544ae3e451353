#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore

/// The POSIX calls the spool and its state file make, each failure a `FlowlogError` naming the
/// file and the call.
enum SpoolFiles {
    static func failure(_ call: String, _ path: String, _ code: Int32 = errno) -> FlowlogError {
        FlowlogError(code == ENOENT ? .fileNotFound : .io, String(cString: strerror(code)), location: .init(file: path), call: call)
    }

    static func createDirectory(_ path: String) throws {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o755) != 0 && errno != EEXIST { throw failure("mkdir", partial) }
        }
    }

    static func list(_ directory: String) throws -> [String] {
        guard let dir = opendir(directory) else { throw failure("opendir", directory) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw failure("unlink", path) }
    }

    static func cut(_ path: String, to length: UInt64) throws {
        guard truncate(path, off_t(length)) == 0 else { throw failure("truncate", path) }
    }

    static func openForAppend(_ path: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("open", path) }
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure("write", path)
                }
                offset += n
            }
        }
    }

    /// Up to `buffer.count` bytes at `offset` into `buffer`; returns how many (fewer at the end
    /// of the file).
    static func read(_ path: String, offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open", path) }
        defer { _ = close(fd) }
        var got = 0
        while got < buffer.count {
            let n = pread(fd, buffer.baseAddress! + got, buffer.count - got, off_t(offset) + off_t(got))
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("pread", path)
            }
            if n == 0 { break }
            got += n
        }
        return got
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open", path) }
        defer { _ = close(fd) }
        _ = fsync(fd)
    }
}
