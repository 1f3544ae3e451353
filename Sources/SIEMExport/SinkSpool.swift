#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore
import SegmentStore

/// A sink's bounded on-disk queue of rendered records, between reading the stores and the
/// receiver's acknowledgement.
///
/// Positions are byte offsets in one endless stream that is cut into chunk files, each named by
/// the offset of its first byte (`00000000000000123456.spool`, 20 digits); a record never
/// straddles two chunks. Each record:
///
///     0        4          8                16
///     +--------+----------+----------------+---------------------------+
///     | length | crc32c   | time (ns, LE)  | payload (length bytes)    |
///     | u32 LE | u32 LE   | u64            | the sink's wire format     |
///     +--------+----------+----------------+---------------------------+
///
/// (crc32c over time and payload). `SinkState` keeps `head` (everything before it is
/// delivered) and `tail` (everything before it is synced to disk and the stores' cursors moved
/// past it). Bytes after `tail` are a write interrupted by a crash: opening truncates them, and
/// the cursor, which was not moved, reads the same records again. Chunks wholly before `head`
/// are deleted. When more than `limit` bytes lie between head and tail, the oldest chunks are
/// dropped and their records counted.
///
/// Not thread-safe: one sink worker owns it (a lock file keeps other processes out).
final class SinkSpool {
    let directory: String
    let limit: UInt64
    let chunkLimit: UInt64
    private(set) var head: UInt64
    private(set) var tail: UInt64
    /// Chunk start offsets, ascending.
    private var chunks: [UInt64]
    private var writer: Int32 = -1
    private var writerStart: UInt64 = 0
    private var pendingWrite: [UInt8] = []
    /// A chunk was created since the last sync: its directory entry must be synced too.
    private var createdChunk = false
    /// Where `append` has got to, past `tail` until `sync`.
    private(set) var end: UInt64

    static let recordHeader = 16
    /// Most bytes one record may take; bigger records are refused (a syslog or HEC receiver
    /// would refuse them too).
    static let maximumRecord = 16 << 20

    struct Entry {
        var time: Timestamp
        var range: Range<Int>
    }

    /// Records read from `head` on.
    struct Batch {
        var bytes: [UInt8] = []
        var entries: [Entry] = []
        /// The position after the last entry.
        var end: UInt64 = 0
        /// Records skipped because they failed their checksum.
        var damaged = 0
        func payload(_ i: Int) -> ArraySlice<UInt8> { bytes[entries[i].range] }
    }

    /// Opens (creating) the spool in `directory` and brings it to `head`/`tail`: later bytes
    /// are cut, earlier chunks deleted. Returns records known lost (chunks missing on disk).
    init(directory: String, limit: Int, head: UInt64, tail: UInt64) throws {
        self.directory = directory
        self.limit = UInt64(limit)
        chunkLimit = max(64 << 10, min(16 << 20, UInt64(limit) / 8))
        try SpoolFiles.createDirectory(directory)
        var starts = try SpoolFiles.list(directory).compactMap { name -> UInt64? in
            guard name.hasSuffix(".spool"), name.count == 26 else { return nil }
            return UInt64(name.prefix(20))
        }.sorted()
        // Bytes after the tail were never committed.
        for start in starts where start >= tail { try SpoolFiles.remove(Self.path(directory, start)) }
        starts.removeAll { $0 >= tail }
        if let last = starts.last { try SpoolFiles.cut(Self.path(directory, last), to: tail - last) }
        // Chunks wholly before the head are delivered.
        while starts.count > 1, starts[1] <= head {
            try SpoolFiles.remove(Self.path(directory, starts[0]))
            starts.removeFirst()
        }
        self.head = head
        self.tail = tail
        end = tail
        chunks = starts
        if head < tail, starts.first.map({ $0 > head }) ?? true {
            // Someone removed spool files: what they held is gone.
            self.head = starts.first ?? tail
        }
    }

    deinit { if writer >= 0 { _ = close(writer) } }

    static func path(_ directory: String, _ start: UInt64) -> String {
        let digits = String(start)
        return directory + "/" + String(repeating: "0", count: 20 - digits.count) + digits + ".spool"
    }

    var pendingBytes: UInt64 { tail - head }
    var isEmpty: Bool { head == tail }

    // MARK: - Appending

    /// Queues one record; nothing is durable until `sync`.
    func append(time: Timestamp, payload: [UInt8]) throws {
        guard payload.count <= Self.maximumRecord else {
            throw FlowlogError(.invalidArgument, "a record of \(payload.count) bytes is larger than the spool takes (\(Self.maximumRecord))")
        }
        if writer < 0 || end - writerStart >= chunkLimit { try startChunk() }
        let length = UInt32(payload.count)
        let timeLE = time.nanoseconds.littleEndian
        let crc = withUnsafeBytes(of: timeLE) { t in payload.withUnsafeBytes { p in CRC32C.update(CRC32C.checksum(t), p) } }
        withUnsafeBytes(of: length.littleEndian) { pendingWrite.append(contentsOf: $0) }
        withUnsafeBytes(of: crc.littleEndian) { pendingWrite.append(contentsOf: $0) }
        withUnsafeBytes(of: timeLE) { pendingWrite.append(contentsOf: $0) }
        pendingWrite.append(contentsOf: payload)
        end += UInt64(Self.recordHeader + payload.count)
        if pendingWrite.count >= 1 << 20 { try flushWrites() }
    }

    private static func load32(_ bytes: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[i + k]) << (8 * k) }
        return v
    }

    private static func load64(_ bytes: UnsafeRawBufferPointer, _ i: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[i + k]) << (8 * k) }
        return v
    }

    private func startChunk() throws {
        try flushWrites()
        if writer >= 0 {
            _ = fsync(writer)
            _ = close(writer)
            writer = -1
        }
        if let last = chunks.last, end - last < chunkLimit {
            writerStart = last
        } else {
            writerStart = end
            chunks.append(end)
        }
        writer = try SpoolFiles.openForAppend(Self.path(directory, writerStart))
        createdChunk = true
    }

    private func flushWrites() throws {
        guard !pendingWrite.isEmpty else { return }
        try SpoolFiles.writeAll(writer, pendingWrite, path: Self.path(directory, writerStart))
        pendingWrite.removeAll(keepingCapacity: true)
    }

    /// Makes everything appended durable and moves `tail` to it; then, when over the limit,
    /// drops the oldest chunks. Returns the records dropped.
    @discardableResult
    func sync() throws -> Int {
        try flushWrites()
        if writer >= 0 {
            guard fdatasync(writer) == 0 else { throw FlowlogError(.io, "cannot sync the spool", location: .init(file: directory), call: "fdatasync") }
            if createdChunk { try SpoolFiles.syncDirectory(directory) }
            createdChunk = false
        }
        tail = end
        return try dropOverLimit()
    }

    /// Drops whole chunks from the front while more than `limit` bytes are pending, keeping the
    /// one being written.
    private func dropOverLimit() throws -> Int {
        var dropped = 0
        while tail - head > limit, chunks.count > 1 {
            let first = chunks[0], next = chunks[1]
            dropped += try countRecords(from: max(head, first), to: next)
            try SpoolFiles.remove(Self.path(directory, first))
            chunks.removeFirst()
            head = next
        }
        return dropped
    }

    private func countRecords(from start: UInt64, to stop: UInt64) throws -> Int {
        var count = 0
        var position = start
        while position < stop {
            let batch = try read(from: position, maxRecords: 100_000, maxBytes: 8 << 20, stop: stop)
            guard batch.end > position else { break }
            count += batch.entries.count + batch.damaged
            position = batch.end
        }
        return count
    }

    // MARK: - Reading and releasing

    /// Up to `maxRecords` records or about `maxBytes` payload bytes (at least one record) from
    /// `position`, never past `tail` (or `stop`).
    func read(from position: UInt64, maxRecords: Int, maxBytes: Int, stop: UInt64? = nil) throws -> Batch {
        let limitEnd = min(stop ?? tail, tail)
        var batch = Batch(end: position)
        var position = position
        while position < limitEnd, batch.entries.count < maxRecords, batch.bytes.count < maxBytes {
            guard let index = chunks.lastIndex(where: { $0 <= position }) else { break }
            let start = chunks[index]
            let chunkEnd = min(index + 1 < chunks.count ? chunks[index + 1] : tail, limitEnd)
            guard position < chunkEnd else { position = chunkEnd; batch.end = position; continue }
            let path = Self.path(directory, start)
            let want = Int(min(UInt64(max(maxBytes - batch.bytes.count, 0) + Self.recordHeader + 64 * 1024), chunkEnd - position))
            var buffer = try SpoolFiles.read(path, offset: position - start, count: max(want, Self.recordHeader))
            var offset = 0
            var progressed = false
            while offset + Self.recordHeader <= buffer.count, batch.entries.count < maxRecords {
                let (length, crc, time) = buffer.withUnsafeBytes { b in
                    (Int(Self.load32(b, offset)), Self.load32(b, offset + 4), Self.load64(b, offset + 8))
                }
                let recordEnd = offset + Self.recordHeader + length
                if length > Self.maximumRecord || position + UInt64(recordEnd - offset) > chunkEnd {
                    // Damaged length: the rest of this chunk cannot be framed.
                    batch.damaged += 1
                    position = chunkEnd
                    batch.end = position
                    progressed = true
                    break
                }
                if recordEnd > buffer.count {
                    if !progressed {
                        // One record larger than what was read: read exactly it.
                        buffer = try SpoolFiles.read(path, offset: position - start, count: Self.recordHeader + length)
                        guard buffer.count == Self.recordHeader + length else {
                            throw FlowlogError(.truncated, "spool chunk ends inside a record", location: .init(file: path))
                        }
                        offset = 0
                        continue
                    }
                    break
                }
                let ok = buffer.withUnsafeBytes { b in
                    CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[(offset + 8)..<recordEnd])) == crc
                }
                if ok {
                    let from = batch.bytes.count
                    batch.bytes += buffer[(offset + Self.recordHeader)..<recordEnd]
                    batch.entries.append(Entry(time: Timestamp(nanoseconds: time), range: from..<batch.bytes.count))
                } else {
                    batch.damaged += 1
                }
                position += UInt64(recordEnd - offset)
                batch.end = position
                offset = recordEnd
                progressed = true
                if batch.bytes.count >= maxBytes { break }
            }
            if !progressed { break }
        }
        return batch
    }

    /// Everything before `position` is delivered: chunks wholly before it are deleted.
    func release(through position: UInt64) throws {
        precondition(position >= head && position <= tail)
        head = position
        while chunks.count > 1, chunks[1] <= head {
            try SpoolFiles.remove(Self.path(directory, chunks[0]))
            chunks.removeFirst()
        }
        // All delivered and nothing being appended: the last chunk goes too, and the next
        // append starts a new one at the tail.
        if head == tail, end == tail, let last = chunks.last, last < head {
            if writer >= 0 { _ = close(writer) }
            writer = -1
            try SpoolFiles.remove(Self.path(directory, last))
            chunks.removeAll()
        }
    }

    /// Bytes on disk between head and tail (the spool-bytes metric).
    var diskBytes: UInt64 { tail - head }
}
