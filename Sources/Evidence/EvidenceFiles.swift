#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import FlowCore

/// The file operations evidence needs: streaming hashes, durable new files, listings.
enum EvidenceFiles {
    static func error(_ call: String, _ path: String, errno code: Int32 = errno) -> FlowlogError {
        let kind: FlowlogError.Code = code == ENOENT ? .fileNotFound : (code == EACCES || code == EPERM) ? .permissionDenied : .io
        return FlowlogError(kind, String(cString: strerror(code)), location: .init(file: path), call: call)
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func createDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw error("mkdir", prefix) }
        }
    }

    static func list(_ directory: String) throws -> [String] {
        guard let handle = opendir(directory) else { throw error("opendir", directory) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    static func size(_ path: String) -> UInt64? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return UInt64(status.st_size)
    }

    /// The whole file, refusing more than `limit` bytes.
    static func readAll(_ path: String, limit: Int) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw error("open", path) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw error("read", path)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit { throw FlowlogError(.corrupt, "larger than \(limit) bytes", location: .init(file: path)) }
        }
    }

    /// SHA-256 and length of a file, read in 1 MiB pieces.
    static func sha256(_ path: String) throws -> (hex: String, bytes: UInt64) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw error("open", path) }
        defer { close(descriptor) }
        #if os(Linux)
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        var hasher = SHA256()
        var total: UInt64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw error("read", path)
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            total += UInt64(count)
        }
        return (Hex.string(hasher.finalize()), total)
    }

    /// Creates `path` with `text` (failing if it exists), synced.
    static func writeNew(_ path: String, _ text: String, mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw error("open", path) }
        defer { close(descriptor) }
        try writeAll(descriptor, Array(text.utf8), path: path)
        guard fsync(descriptor) == 0 else { throw error("fsync", path) }
    }

    /// Replaces `path` atomically: a synced temporary file renamed over it, then the directory synced.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], directory: String) throws {
        let temporary = path + ".tmp"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw error("open", temporary) }
        do {
            try writeAll(descriptor, bytes, path: temporary)
            guard fsync(descriptor) == 0 else { throw error("fsync", temporary) }
            close(descriptor)
        } catch {
            close(descriptor)
            throw error
        }
        guard rename(temporary, path) == 0 else { throw error("rename", temporary) }
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw error("open", directory) }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw error("fsync", directory) }
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw error("write", path)
            }
            offset += written
        }
    }
}
