import FlowCore
import SegmentStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory of its own for this process's inputs (the store reads files), in memory where
/// the system offers it: recovery syncs files and directories, which a disk makes slow.
private let directory: String = {
    var info = stat()
    let base = stat("/dev/shm", &info) == 0 && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    var template = Array("\(base)/flowlog-store-fuzz-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { fatalError("mkdtemp failed") }
    return String(cString: made)
}()

/// Called by libFuzzer for each input. The first byte chooses what the rest is:
/// 0 mod 4 — a raw block payload (version 1, or when the byte's bit 2 is set 4, or 5 with bit 3
/// set too), which this
/// target compresses (LZ4 literals), checksums and frames as the only block of an open segment,
/// so the block decoder sees any payload; 1 mod 4 — a whole sealed segment file as stored;
/// 2 mod 4 — the same as an open segment, which a writer opening the directory recovers and
/// seals; 3 mod 4 — a dictionary record's entry counts (4 × u16) and raw payload length (u16),
/// that payload, then a raw block payload: framed as a version 3 (bit 2 set: version 4, bits 2
/// and 3: version 5) open segment holding the record twice and the block, so the dictionary
/// loader and the block decoder see any record and block of each version.
/// Reading, verifying and recovering give flows or located problems, never a crash.
func storeFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size).dropFirst())
    let mode = data[0] % 4
    let newer: UInt16? = data[0] & 4 == 0 ? nil : (data[0] & 8 != 0 ? 5 : 4)
    let name = mode == 1 ? "000000000001.seg" : "000000000001.seg.open"
    let bytes: [UInt8]
    switch mode {
    case 0: bytes = openSegment(holdingPayload: input, version: newer ?? 1)
    case 3: bytes = openSegment(holdingDictionaryAndPayload: input, version: newer ?? 3)
    default: bytes = input
    }
    for leftover in ["000000000001.seg", "000000000001.seg.open", "MANIFEST", "LOCK"] { unlink(directory + "/" + leftover) }
    guard write(bytes, to: directory + "/" + name) else { fatalError("cannot write the input file") }

    if mode == 2 {
        do {
            let writer = try SegmentWriter(directory: directory, configuration: StoreConfiguration(encodesInBackground: false))
            try writer.close()
        } catch let error as FlowlogError {
            guard error.code == .newerFormat || error.location != nil else { fatalError("recovery error without a location: \(error)") }
            return 0
        } catch {
            fatalError("unexpected error type \(error)")
        }
    }
    do {
        let reader = try StoreReader(directory: directory)
        var visitor = CountingVisitor()
        let statistics = try reader.scan(since: nil, until: nil, visitor: &visitor)
        for problem in statistics.problems where problem.error.location?.file == nil {
            fatalError("scan problem without its file: \(problem)")
        }
        let report = try reader.verify()
        _ = try reader.summaries()
        if report.isClean && !statistics.problems.isEmpty {
            fatalError("verify finds nothing wrong where the scan skipped: \(statistics.problems)")
        }
    } catch let error as FlowlogError {
        guard error.code == .newerFormat || error.code == .fileNotFound else { fatalError("reader failed: \(error)") }
    } catch {
        fatalError("unexpected error type \(error)")
    }
    return 0
}

private struct CountingVisitor: StoreVisitor {
    var flows = 0
    mutating func shouldRead(block digest: BlockDigest) -> Bool { true }
    mutating func visit(_ flow: AnnotatedFlow) -> Bool {
        guard flow.flow.start <= flow.flow.end || true else { return false }
        flows += 1
        return true
    }
}

private func write(_ bytes: [UInt8], to path: String) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var done = 0
    while done < bytes.count {
        let n = bytes[done...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return false }
        done += n
    }
    return true
}

// MARK: - Framing a payload as the format (docs/segment-format.md) lays it out

/// Segment header, then one block whose header counts the records the payload claims.
private func openSegment(holdingPayload raw: [UInt8], version: UInt16 = 1, between: [UInt8] = []) -> [UInt8] {
    var out: [UInt8] = []
    func u16(_ v: UInt16) { out += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    func u32(_ v: UInt32) { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    func u64(_ v: UInt64) { for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    u32(0x4753_4C46); u16(version); u16(0); u64(1); u64(1_700_000_000_000_000_000); u32(0)
    u32(crc32c(out[0..<28]))
    out += between
    let stored = literalsOnlyLZ4(raw)
    let start = out.count
    u32(0x4B42_4C46); u16(version); out.append(1); out.append(0)
    u32(claimedCount(raw)); u32(UInt32(raw.count)); u32(UInt32(stored.count))
    out += [0xFF, 0, 0, 0]
    u64(0); u64(UInt64.max)
    u64(.max); u64(.max); u64(.max); u64(.max)
    u32(crc32c(stored[...]))
    u32(crc32c(out[start..<(start + 76)]))
    out += stored
    return out
}

/// Mode 3: a version 3, 4 or 5 segment with one dictionary record (twice) before one block.
private func openSegment(holdingDictionaryAndPayload input: [UInt8], version: UInt16) -> [UInt8] {
    guard input.count >= 10 else { return openSegment(holdingPayload: input, version: version) }
    func u16(at i: Int) -> UInt16 { UInt16(input[i]) | UInt16(input[i + 1]) << 8 }
    let counts = (0..<4).map { u16(at: 2 * $0) }
    let length = min(Int(u16(at: 8)), input.count - 10)
    let dictionary = Array(input[10..<(10 + length)])
    let block = Array(input[(10 + length)...])
    var record: [UInt8] = []
    func u32(_ v: UInt32) { for i in 0..<4 { record.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    let stored = literalsOnlyLZ4(dictionary)
    guard !stored.isEmpty else { return openSegment(holdingPayload: block, version: version) }
    u32(0x4344_4C46); record += [UInt8(version), 0, 1, 0]
    u32(UInt32(dictionary.count)); u32(UInt32(stored.count))
    for count in counts { u32(0); u32(UInt32(count)) }
    u32(crc32c(stored[...]))
    u32(crc32c(record[0..<52]))
    record += stored
    return openSegment(holdingPayload: block, version: version, between: record + record)
}

/// The record count a payload starts with (after the time unit byte), as the header must agree.
private func claimedCount(_ raw: [UInt8]) -> UInt32 {
    var value: UInt64 = 0
    var shift: UInt64 = 0
    for byte in raw.dropFirst().prefix(5) {
        value |= UInt64(byte & 0x7F) << shift
        if byte & 0x80 == 0 { break }
        shift += 7
    }
    return UInt32(truncatingIfNeeded: max(value, 1))
}

/// An LZ4 block of one literal run: token, length continuation bytes, the bytes.
private func literalsOnlyLZ4(_ raw: [UInt8]) -> [UInt8] {
    guard !raw.isEmpty else { return [] }
    var out: [UInt8] = []
    if raw.count < 15 {
        out.append(UInt8(raw.count) << 4)
    } else {
        out.append(0xF0)
        var rest = raw.count - 15
        while rest >= 255 { out.append(255); rest -= 255 }
        out.append(UInt8(rest))
    }
    return out + raw
}

/// CRC-32C (Castagnoli, reflected, polynomial 0x82F63B78), bit by bit: inputs are small.
private func crc32c(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return ~crc
}
