import FlowCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An output file with a large write buffer, so millions of small records cost few syscalls
/// and nothing but the buffer is held in memory. A class so that an abandoned file (an error
/// midway) still releases its descriptor and buffer.
final class BufferedFile {
    let path: String
    private var fd: Int32
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    private var used = 0
    /// Bytes handed to the kernel so far (for error offsets).
    private(set) var written: UInt64 = 0

    init(path: String, capacity: Int = 1 << 20) throws {
        self.path = path
        self.capacity = capacity
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw FlowlogError(.io, String(cString: strerror(errno)), location: .init(file: path), call: "open")
        }
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    /// Room for `count` more bytes, flushing first if needed; write them at the returned
    /// pointer and then call `commit(count)`.
    @inline(__always)
    func reserve(_ count: Int) throws -> UnsafeMutableRawPointer {
        precondition(count <= capacity, "record larger than the write buffer")
        if used + count > capacity { try flush() }
        return buffer + used
    }

    @inline(__always)
    func commit(_ count: Int) { used += count }

    func append(bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes
        while !rest.isEmpty {
            if used == capacity { try flush() }
            let n = min(rest.count, capacity - used)
            (buffer + used).copyMemory(from: rest.baseAddress!, byteCount: n)
            used += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
    }

    func append(text: String) throws {
        var text = text
        try text.withUTF8 { try append(bytes: UnsafeRawBufferPointer($0)) }
    }

    func flush() throws {
        var offset = 0
        while offset < used {
            let n = write(fd, buffer + offset, used - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FlowlogError(.io, String(cString: strerror(errno)), location: .init(file: path, offset: written), call: "write")
            }
            offset += n
            written += UInt64(n)
        }
        used = 0
    }

    /// Flushes and closes; the file must not be written afterwards.
    func close() throws {
        guard fd >= 0 else { return }
        let flushError: Error?
        do { try flush(); flushError = nil } catch { flushError = error }
        let status = closeDescriptor(fd)
        fd = -1
        if let flushError { throw flushError }
        if status != 0 {
            throw FlowlogError(.io, String(cString: strerror(errno)), location: .init(file: path), call: "close")
        }
    }

    deinit {
        if fd >= 0 { _ = closeDescriptor(fd) }
        buffer.deallocate()
    }
}

/// The C `close`, out of reach of the method of the same name.
private func closeDescriptor(_ fd: Int32) -> Int32 { close(fd) }
