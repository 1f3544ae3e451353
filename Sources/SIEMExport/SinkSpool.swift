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
/// (crc32c over time and payload). The checksum is computed once, when a record is appended,
/// and verified when a record is read that an earlier process (or an earlier opening) wrote:
/// that is where a torn write after kill -9 or damage on disk shows. Records this opening
/// appended come back from the page cache its own writes filled, so they are not summed again.
///
/// `SinkState` keeps `head` (everything before it is delivered) and `tail` (everything before
/// it is synced to disk and the stores' cursors moved past it). Bytes after `tail` are a write interrupted by a crash: opening truncates them, and
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
    /// The tail when this spool was opened: records from here on were appended by this
    /// opening, records before it by an earlier one (their checksums are verified on read).
    private let appendedFrom: UInt64

    static let recordHeader = 16
    /// Most bytes one record may take; bigger records are refused (a syslog or HEC receiver
    /// would refuse them too).
    static let maximumRecord = 16 << 20

    struct Entry {
        var time: Timestamp
        var range: Range<Int>
    }

    /// Records read from `head` on: the spool's bytes as read (record headers included), and
    /// where each record's payload lies in them. Made once per sink and refilled by every
    /// `read`, so a batch's memory is allocated (and its pages faulted in) once, not per batch.
    struct Batch {
        /// Grows to the largest read and never shrinks; only `bytes[..<used]` is this batch's.
        var bytes: [UInt8] = []
        var used = 0
        var entries: [Entry] = []
        /// The position after the last entry.
        var end: UInt64 = 0
        /// Records skipped because they failed their checksum.
        var damaged = 0
        /// Payload bytes of the entries.
        var payloadBytes = 0
        func payload(_ i: Int) -> ArraySlice<UInt8> { bytes[entries[i].range] }

        init() {}

        mutating func reset(at position: UInt64) {
            used = 0
            entries.removeAll(keepingCapacity: true)
            end = position
            damaged = 0
            payloadBytes = 0
        }

        /// Makes room for `count` more bytes after `used`; zero-fills only what was never used.
        mutating func reserve(_ count: Int) {
            if bytes.count < used + count {
                bytes.append(contentsOf: repeatElement(0, count: used + count - bytes.count))
            }
        }
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
        appendedFrom = tail
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
            let tally = try tally(from: max(head, first), to: next, maxRecords: 100_000, maxBytes: 8 << 20)
            dropped += tally.records + tally.damaged
            try SpoolFiles.remove(Self.path(directory, first))
            chunks.removeFirst()
            head = next
        }
        return dropped
    }

    /// What reading every record from `start` to `stop`, in batches of the given bounds, finds.
    struct Tally {
        var records = 0
        /// Records skipped: a bad checksum, or a length that cannot be framed.
        var damaged = 0
        var payloadBytes = 0
        /// Where reading stopped: `stop`, unless a chunk was missing.
        var end: UInt64 = 0
    }

    func tally(from start: UInt64, to stop: UInt64, maxRecords: Int, maxBytes: Int) throws -> Tally {
        var tally = Tally(end: start)
        var batch = Batch()
        while tally.end < stop {
            try read(from: tally.end, maxRecords: maxRecords, maxBytes: maxBytes, stop: stop, into: &batch)
            guard batch.end > tally.end else { break }
            tally.records += batch.entries.count
            tally.damaged += batch.damaged
            tally.payloadBytes += batch.payloadBytes
            tally.end = batch.end
        }
        return tally
    }

    // MARK: - Reading and releasing

    /// Up to `maxRecords` records or about `maxBytes` payload bytes (at least one record) from
    /// `position`, never past `tail` (or `stop`).
    func read(from position: UInt64, maxRecords: Int, maxBytes: Int, stop: UInt64? = nil) throws -> Batch {
        var batch = Batch()
        try read(from: position, maxRecords: maxRecords, maxBytes: maxBytes, stop: stop, into: &batch)
        return batch
    }

    /// The same into `batch`, reusing its memory.
    func read(from position: UInt64, maxRecords: Int, maxBytes: Int, stop: UInt64? = nil, into batch: inout Batch) throws {
        let limitEnd = min(stop ?? tail, tail)
        batch.reset(at: position)
        var position = position
        while position < limitEnd, batch.entries.count < maxRecords, batch.payloadBytes < maxBytes {
            guard let index = chunks.lastIndex(where: { $0 <= position }) else { break }
            let start = chunks[index]
            let chunkEnd = min(index + 1 < chunks.count ? chunks[index + 1] : tail, limitEnd)
            guard position < chunkEnd else { position = chunkEnd; batch.end = position; continue }
            let path = Self.path(directory, start)
            let want = Int(min(UInt64(max(maxBytes - batch.payloadBytes, 0) + Self.recordHeader + 64 * 1024), chunkEnd - position))
            // The piece read goes after what earlier pieces left in `batch.bytes`.
            let base = batch.used
            var got = try readPiece(path, at: position - start, count: max(want, Self.recordHeader), into: &batch)
            var offset = base
            var progressed = false
            while offset + Self.recordHeader <= base + got, batch.entries.count < maxRecords {
                let (length, crc, time) = batch.bytes.withUnsafeBytes { b in
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
                if recordEnd > base + got {
                    if !progressed {
                        // One record larger than what was read: read exactly it.
                        batch.used = base
                        got = try readPiece(path, at: position - start, count: Self.recordHeader + length, into: &batch)
                        guard got == Self.recordHeader + length else {
                            throw FlowlogError(.truncated, "spool chunk ends inside a record", location: .init(file: path))
                        }
                        offset = base
                        continue
                    }
                    break
                }
                // Verified where a crash or the disk could have changed the bytes: see the type's note.
                let ok = position >= appendedFrom || batch.bytes.withUnsafeBytes { b in
                    CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[(offset + 8)..<recordEnd])) == crc
                }
                if ok {
                    let payload = (offset + Self.recordHeader)..<recordEnd
                    batch.entries.append(Entry(time: Timestamp(nanoseconds: time), range: payload))
                    batch.payloadBytes += payload.count
                } else {
                    batch.damaged += 1
                }
                position += UInt64(recordEnd - offset)
                batch.end = position
                offset = recordEnd
                progressed = true
                if batch.payloadBytes >= maxBytes { break }
            }
            // A record cut at the end of the piece is read again, whole, by the next piece.
            batch.used = offset
            if !progressed { break }
        }
    }

    /// Reads up to `count` bytes of `path` at `offset` into `batch.bytes` after `batch.used`,
    /// and counts them used; returns how many it read (fewer at the end of the file).
    private func readPiece(_ path: String, at offset: UInt64, count: Int, into batch: inout Batch) throws -> Int {
        batch.reserve(count)
        let base = batch.used
        let got = try batch.bytes.withUnsafeMutableBytes { raw in
            try SpoolFiles.read(path, offset: offset, into: UnsafeMutableRawBufferPointer(rebasing: raw[base..<(base + count)]))
        }
        batch.used = base + got
        return got
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
