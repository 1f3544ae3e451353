#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore

/// Sorted runs of rendered rows in temporary files, merged back in (key, sequence) order: how
/// `--order newest|packets|bytes` without `--limit` keeps its memory bounded however many rows
/// match (an external merge sort).
///
/// Each file is unlinked as soon as it is created, so nothing is left behind when the query
/// ends, fails or is killed. A run is a sequence of records:
///
///     ┌──────────┬───────────────┬────────────┬─────────────────────┐
///     │ key (8)  │ sequence (8)  │ length (4) │ row bytes (length)  │   little-endian
///     └──────────┴───────────────┴────────────┴─────────────────────┘
///
/// ascending by (key, sequence); the row bytes are the row as the output writer's
/// `standaloneFormat` renders it.
struct SpilledRuns {
    let directory: String
    private(set) var runs: [Int32] = []
    private var pending: [UInt8] = []
    private static let writeChunk = 1 << 20

    init(directory: String) { self.directory = directory }

    /// Starts a run in a fresh unlinked file.
    mutating func beginRun() throws {
        var template = Array((directory + "/flowlog-order-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard fd >= 0 else {
            throw FlowlogError(.io, "cannot create a temporary file to order rows in (\(String(cString: strerror(errno))))",
                               location: .init(file: path), call: "mkstemp")
        }
        unlink(path)
        runs.append(fd)
        pending.removeAll(keepingCapacity: true)
    }

    /// Appends a row to the current run (rows must come in order).
    mutating func append(key: UInt64, sequence: UInt64, row: UnsafeBufferPointer<UInt8>) throws {
        Self.appendLittleEndian(key, to: &pending)
        Self.appendLittleEndian(sequence, to: &pending)
        Self.appendLittleEndian(UInt32(row.count), to: &pending)
        pending.append(contentsOf: row)
        if pending.count >= Self.writeChunk { try writePending() }
    }

    /// Ends the current run.
    mutating func endRun() throws { try writePending() }

    private mutating func writePending() throws {
        guard let fd = runs.last else { return }
        var done = 0
        while done < pending.count {
            let n = pending.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw FlowlogError(.io, "cannot write rows to a temporary file in \(directory) (\(String(cString: strerror(errno))))",
                                   location: .init(file: directory), call: "write")
            }
            done += n
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Hands every row of every run to `body` in (key, sequence) order until it returns false,
    /// then closes the files.
    mutating func merge(_ body: (UnsafeBufferPointer<UInt8>) throws -> Bool) throws {
        defer { close() }
        var readers = try runs.map { fd -> RunReader in
            guard lseek(fd, 0, SEEK_SET) == 0 else {
                throw FlowlogError(.io, "cannot rewind a temporary file in \(directory)", location: .init(file: directory), call: "lseek")
            }
            var reader = RunReader(fd: fd, directory: directory)
            try reader.advance()
            return reader
        }
        // A min-heap of run indices on their current rows' (key, sequence).
        var heap = readers.indices.filter { readers[$0].current != nil }
        func before(_ a: Int, _ b: Int) -> Bool {
            let x = readers[a].current!, y = readers[b].current!
            return x.key != y.key ? x.key < y.key : x.sequence < y.sequence
        }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var least = i
                if l < heap.count, before(heap[l], heap[least]) { least = l }
                if r < heap.count, before(heap[r], heap[least]) { least = r }
                if least == i { return }
                heap.swapAt(i, least)
                i = least
            }
        }
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
        while let top = heap.first {
            guard try readers[top].withRow(body) else { return }
            try readers[top].advance()
            if readers[top].current == nil {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            if !heap.isEmpty { siftDown(0) }
        }
    }

    /// Closes every run's file (they were unlinked when made).
    mutating func close() {
        for fd in runs {
#if canImport(Glibc)
            _ = Glibc.close(fd)
#else
            _ = Darwin.close(fd)
#endif
        }
        runs = []
    }

    static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Reads one run's records through a buffer.
private struct RunReader {
    let fd: Int32
    let directory: String
    private var buffer: [UInt8] = []
    private var start = 0
    private var end = 0
    private var atEnd = false
    /// The record under the cursor: its key, sequence and where its row lies in `buffer`.
    private(set) var current: (key: UInt64, sequence: UInt64, row: Range<Int>)?

    init(fd: Int32, directory: String) {
        self.fd = fd
        self.directory = directory
        buffer = [UInt8](repeating: 0, count: 1 << 18)
    }

    func withRow(_ body: (UnsafeBufferPointer<UInt8>) throws -> Bool) rethrows -> Bool {
        guard let row = current?.row else { return true }
        return try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[row])) }
    }

    /// Moves to the next record (nil at the end of the run).
    mutating func advance() throws {
        if let row = current?.row { start = row.upperBound }
        guard try available(20) else {
            current = nil
            guard start == end else { throw damaged() }
            return
        }
        let key = load(UInt64.self, at: start), sequence = load(UInt64.self, at: start + 8)
        let length = Int(load(UInt32.self, at: start + 16))
        guard try available(20 + length) else { throw damaged() }
        current = (key, sequence, (start + 20)..<(start + 20 + length))
    }

    private func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        buffer.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    /// Whether `count` bytes from `start` are in the buffer, reading more (and growing it for a
    /// long row) when needed.
    private mutating func available(_ count: Int) throws -> Bool {
        while end - start < count {
            if atEnd { return false }
            if start > 0 {
                buffer.withUnsafeMutableBytes { b in
                    guard let base = b.baseAddress else { return }
                    memmove(base, base + start, end - start)
                }
                end -= start
                start = 0
            }
            if count > buffer.count { buffer.append(contentsOf: repeatElement(0, count: count - buffer.count)) }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + end, $0.count - end) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else {
                throw FlowlogError(.io, "cannot read rows back from a temporary file in \(directory) (\(String(cString: strerror(errno))))",
                                   location: .init(file: directory), call: "read")
            }
            if n == 0 { atEnd = true } else { end += n }
        }
        return true
    }

    private func damaged() -> FlowlogError {
        FlowlogError(.corrupt, "a temporary file of ordered rows ends mid-row (was it changed while the query ran?)",
                     location: .init(file: directory))
    }
}
