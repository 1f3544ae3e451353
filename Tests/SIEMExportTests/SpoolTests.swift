import FlowCore
import SegmentStore
import Foundation
@testable import SIEMConfig
@testable import SIEMExport
import Testing

@Suite("SIEM spool")
struct SpoolTests {
    static func payload(_ i: Int) -> [UInt8] { Array("record-\(i)-".utf8) + Array(repeating: UInt8(truncatingIfNeeded: i), count: i % 300) }

    @Test("records come back in order, across chunks, and release deletes delivered chunks")
    func roundTrip() throws {
        let dir = TestStore.temporaryDirectory("spool")
        defer { TestStore.remove(dir) }
        let spool = try SinkSpool(directory: dir, limit: 1 << 30, head: 0, tail: 0)
        for i in 0..<5_000 { try spool.append(time: Timestamp(nanoseconds: UInt64(i)), payload: Self.payload(i)) }
        try spool.sync()
        var position = spool.head
        var seen = 0
        while position < spool.tail {
            let batch = try spool.read(from: position, maxRecords: 333, maxBytes: 1 << 20)
            for (k, entry) in batch.entries.enumerated() {
                #expect(Array(batch.payload(k)) == Self.payload(seen))
                #expect(entry.time.nanoseconds == UInt64(seen))
                seen += 1
            }
            position = batch.end
            try spool.release(through: position)
        }
        #expect(seen == 5_000)
        #expect(spool.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".spool") }.isEmpty)
    }

    @Test("bytes after the committed tail (a crash mid-append) are cut on open")
    func tornTail() throws {
        let dir = TestStore.temporaryDirectory("torn")
        defer { TestStore.remove(dir) }
        var spool: SinkSpool? = try SinkSpool(directory: dir, limit: 1 << 30, head: 0, tail: 0)
        for i in 0..<10 { try spool!.append(time: Timestamp(nanoseconds: 1), payload: Self.payload(i)) }
        try spool!.sync()
        let tail = spool!.tail
        for i in 10..<20 { try spool!.append(time: Timestamp(nanoseconds: 1), payload: Self.payload(i)) }
        try spool!.sync()  // written, but the state file (in a crash) still says `tail`
        spool = nil
        let reopened = try SinkSpool(directory: dir, limit: 1 << 30, head: 0, tail: tail)
        let batch = try reopened.read(from: 0, maxRecords: 100, maxBytes: 1 << 20)
        #expect(batch.entries.count == 10)
        try reopened.append(time: Timestamp(nanoseconds: 1), payload: Self.payload(99))
        try reopened.sync()
        let again = try reopened.read(from: 0, maxRecords: 100, maxBytes: 1 << 20)
        #expect(again.entries.count == 11 && Array(again.payload(10)) == Self.payload(99))
    }

    @Test("over its limit the spool drops the oldest chunks and counts their records")
    func dropsOldest() throws {
        let dir = TestStore.temporaryDirectory("full")
        defer { TestStore.remove(dir) }
        let spool = try SinkSpool(directory: dir, limit: 256 << 10, head: 0, tail: 0)
        var dropped = 0
        let record = [UInt8](repeating: 7, count: 1000)
        for _ in 0..<1_000 {
            try spool.append(time: Timestamp(nanoseconds: 1), payload: record)
        }
        dropped += try spool.sync()
        #expect(spool.pendingBytes <= 256 << 10 + spool.chunkLimit)
        let left = try spool.read(from: spool.head, maxRecords: 10_000, maxBytes: 64 << 20)
        #expect(dropped > 0)
        #expect(dropped + left.entries.count == 1_000)
    }

    @Test("a record whose checksum fails is skipped and counted by the next opening, the rest read")
    func damagedRecord() throws {
        let dir = TestStore.temporaryDirectory("damaged")
        defer { TestStore.remove(dir) }
        let tail = try Self.writeSpool(dir, limit: 1 << 30, payloads: (0..<3).map { Array("payload-\($0)".utf8) })
        let file = SinkSpool.path(dir, 0)
        var bytes = try #require(FileManager.default.contents(atPath: file))
        bytes[SinkSpool.recordHeader + 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: file))
        // The process that wrote the records is gone (a crash, a restart): the next one checks them.
        let reopened = try SinkSpool(directory: dir, limit: 1 << 30, head: 0, tail: tail)
        let batch = try reopened.read(from: 0, maxRecords: 10, maxBytes: 1 << 20)
        #expect(batch.damaged == 1 && batch.entries.count == 2)
        #expect(batch.entries.indices.map { Array(batch.payload($0)) } == [Array("payload-1".utf8), Array("payload-2".utf8)])
        #expect(batch.end == reopened.tail)
        // Appended after the opening: not summed again on read, read back as written.
        try reopened.append(time: Timestamp(nanoseconds: 2), payload: Array("payload-3".utf8))
        try reopened.sync()
        var again = SinkSpool.Batch()
        try reopened.read(from: batch.end, maxRecords: 10, maxBytes: 1 << 20, into: &again)
        #expect(again.damaged == 0 && again.entries.count == 1 && Array(again.payload(0)) == Array("payload-3".utf8))
    }

    @Test("a torn record at the tail of an earlier opening is found; batches reuse their memory")
    func tornAndReused() throws {
        let dir = TestStore.temporaryDirectory("torn")
        defer { TestStore.remove(dir) }
        var tail: UInt64 = 0
        do {
            let spool = try SinkSpool(directory: dir, limit: 1 << 30, head: 0, tail: 0)
            for i in 0..<2_000 { try spool.append(time: Timestamp(nanoseconds: UInt64(i)), payload: Self.payload(i)) }
            try spool.sync()
            tail = spool.tail
        }
        // A write cut short by kill -9 in the middle of the last record's payload, yet counted in
        // the tail (the worst case: the state file's tail outran the data).
        let file = SinkSpool.path(dir, 0)
        var bytes = try #require(FileManager.default.contents(atPath: file))
        let last = Self.payload(1_999).count
        for k in (bytes.count - last / 2)..<bytes.count { bytes[k] = 0 }
        try bytes.write(to: URL(fileURLWithPath: file))
        let reopened = try SinkSpool(directory: dir, limit: 1 << 30, head: 0, tail: tail)
        var batch = SinkSpool.Batch()
        var position: UInt64 = 0, seen = 0, damaged = 0, capacity = 0
        while position < reopened.tail {
            try reopened.read(from: position, maxRecords: 150, maxBytes: 64 << 10, into: &batch)
            for k in batch.entries.indices {
                #expect(Array(batch.payload(k)) == Self.payload(seen))
                seen += 1
            }
            damaged += batch.damaged
            if capacity > 0 { #expect(batch.bytes.count == capacity, "a refill reallocated") }
            capacity = max(capacity, batch.bytes.count)
            position = batch.end
        }
        #expect(seen == 1_999 && damaged == 1)
    }

    @Test("the state file keeps the last whole slot when a write is torn")
    func stateSlots() throws {
        let dir = TestStore.temporaryDirectory("state")
        defer { TestStore.remove(dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/state"
        var state = SinkState(format: "syslog 1")
        state.head = 10
        state.tail = 20
        state.audit = 5
        do {
            let file = try SinkStateFile(path: path)
            try file.store(state, durable: true)
            state.head = 15
            try file.store(state, durable: true)
        }
        #expect(try SinkStateFile(path: path).load() == state)
        // Tear the newer slot (generation 2 lives in slot 0).
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[30] ^= 0x55
        try bytes.write(to: URL(fileURLWithPath: path))
        let older = try #require(try SinkStateFile(path: path).load())
        #expect(older.head == 10 && older.tail == 20)
    }

    @Test("a state that reads back always fits a slot again; an unusable generation counts as damage")
    func hostileStateFiles() throws {
        let dir = TestStore.temporaryDirectory("state-hostile")
        defer { TestStore.remove(dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // A channel too long to be a sink's own would make the written-back text outgrow its slot.
        let longChannel = Array("format syslog 1\nflows none\nchannel \(String(repeating: "c", count: 4_000))\n".utf8)
        #expect(throws: FlowlogError.self) { _ = try SinkFilesCheck.canonicalStateText(longChannel, file: "s") }
        // A whole slot at a generation the next write would overflow is skipped like a torn one.
        let path = dir + "/state"
        let text = Array("format syslog 1\nflows 1 2\nhead 1\ntail 2\n".utf8)
        let older = SinkFilesCheck.stateSlot(text: text, generation: 3)
        let hostile = SinkFilesCheck.stateSlot(text: Array("format syslog 1\nflows 9 9\n".utf8), generation: .max)
        try Data(hostile + older).write(to: URL(fileURLWithPath: path))
        let loaded = try #require(try SinkStateFile(path: path).load())
        #expect(loaded.flows == BlockPosition(segment: 1, block: 2) && loaded.head == 1 && loaded.tail == 2)
        let file = try SinkStateFile(path: path)
        _ = try file.load()
        try file.store(loaded, durable: false)
        #expect(try SinkStateFile(path: path).load() == loaded)
        // Writing more than a slot holds is an error, not a trap.
        var big = loaded
        big.format = String(repeating: "f", count: 5_000)
        #expect(throws: FlowlogError.self) { try file.store(big, durable: false) }
    }

    /// Appends `payloads` (time = index) to a new spool in `dir` by a process that is then gone;
    /// returns the synced tail.
    static func writeSpool(_ dir: String, limit: Int, payloads: [[UInt8]]) throws -> UInt64 {
        let spool = try SinkSpool(directory: dir, limit: limit, head: 0, tail: 0)
        for (i, payload) in payloads.enumerated() { try spool.append(time: Timestamp(nanoseconds: UInt64(i)), payload: payload) }
        try spool.sync()
        return spool.tail
    }

    @Test("reading a spool as a restart does: records, damage and a head moved past missing chunks")
    func spoolReadingAsARestart() throws {
        let dir = TestStore.temporaryDirectory("spool-check")
        defer { TestStore.remove(dir) }
        // 1,500 records of 66 bytes: more than one chunk (64 KiB at this limit).
        let tail = try Self.writeSpool(dir, limit: 256 << 10, payloads: (0..<1_500).map { Array(repeating: UInt8(truncatingIfNeeded: $0), count: 50) })
        let whole = try SinkFilesCheck.readSpool(directory: dir, head: 0, tail: tail, limit: 256 << 10, batchRecords: 7)
        #expect(whole == SinkFilesCheck.SpoolReading(records: 1_500, damaged: 0, payloadBytes: 75_000, end: tail, head: 0))
        // One flipped payload byte: that record is counted as damaged, the rest read.
        let first = SinkSpool.path(dir, 0)
        var bytes = try #require(FileManager.default.contents(atPath: first))
        bytes[66 * 10 + 16 + 20] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: first))
        let damaged = try SinkFilesCheck.readSpool(directory: dir, head: 0, tail: tail, limit: 256 << 10)
        #expect(damaged.records == 1_499 && damaged.damaged == 1 && damaged.end == tail)
        // The first chunk removed: the head moves to the second chunk, whose records are read.
        let chunks = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".spool") }.sorted()
        try #require(chunks.count >= 2)
        let second = try #require(UInt64(chunks[1].prefix(20)))
        try FileManager.default.removeItem(atPath: first)
        let moved = try SinkFilesCheck.readSpool(directory: dir, head: 0, tail: tail, limit: 256 << 10)
        #expect(moved.head == second && moved.end == tail && moved.damaged == 0)
        #expect(moved.records == Int(tail - second) / 66)
        #expect(throws: FlowlogError.self) { _ = try SinkFilesCheck.readSpool(directory: dir, head: 2, tail: 1, limit: 256 << 10) }
    }
}
