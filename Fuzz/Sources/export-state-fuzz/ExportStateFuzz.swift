#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ClickHouse
import FlowCore
import SIEMExport

/// Called by libFuzzer for each input: the files an exporter reads first after a restart.
/// The first byte picks what the rest is read as (its value mod 6):
///
/// - 0–2: the body of a ClickHouse checkpoint (flows, audit, reports), framed with a checksum
///   that matches, so the body parser sees any text;
/// - 3: a whole checkpoint file as it lies on disk, of the kind the second byte picks;
/// - 4: a SIEM sink's state text, then the same text in a checksummed state-file slot;
/// - 5: a sink's spool: eight bytes of head and of tail (kept within 64 KiB), a byte saying
///   where to cut the rest into two chunk files, then the chunks' bytes.
///
/// Whatever reads back must be written back the same way a second time and fit where it is
/// written; errors must name the file (and, for text, the line). Never a crash or a hang.
func exportStateFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let rest = Array(input.dropFirst())
    switch input[0] % 6 {
    case 0, 1, 2:
        let kind = CheckpointKind.allCases[Int(input[0] % 6)]
        checkCheckpoint(kind, kind.framed(body: rest))
    case 3:
        let kind = CheckpointKind.allCases[Int(rest.first ?? 0) % 3]
        checkCheckpoint(kind, Array(rest.dropFirst()))
    case 4:
        checkState(rest)
    default:
        checkSpool(rest)
    }
    return 0
}

private func checkCheckpoint(_ kind: CheckpointKind, _ bytes: [UInt8]) {
    let file = "fuzz.checkpoint"
    do {
        let canonical = try kind.canonicalForm(of: bytes, file: file)
        let again = try kind.canonicalForm(of: canonical, file: file)
        guard again == canonical else { fatalError("a \(kind) checkpoint does not read back as written") }
    } catch let error as FlowlogError {
        guard error.location?.file == file, error.location?.line != nil else { fatalError("error without its file and line: \(error)") }
    } catch {
        fatalError("not a FlowlogError: \(error)")
    }
}

private func checkState(_ text: [UInt8]) {
    let file = "fuzz.state"
    var canonical: [UInt8]?
    do {
        canonical = try SinkFilesCheck.canonicalStateText(text, file: file)
        let again = try SinkFilesCheck.canonicalStateText(canonical!, file: file)
        guard again == canonical else { fatalError("a sink state does not read back as written") }
    } catch let error as FlowlogError {
        guard error.location?.file == file else { fatalError("error without its file: \(error)") }
    } catch {
        fatalError("not a FlowlogError: \(error)")
    }
    // The same text in a slot, beside a second slot of the input's raw bytes: loading picks a
    // whole slot or reports that neither is.
    let scratch = FuzzScratch()
    defer { scratch.remove() }
    let path = scratch.path + "/state"
    var slots = SinkFilesCheck.stateSlot(text: text, generation: UInt64(text.first ?? 0))
    slots += Array(text.prefix(4096)) + [UInt8](repeating: 0, count: 4096 - min(4096, text.count))
    write(slots, to: path)
    do {
        let loaded = try SinkFilesCheck.loadState(path)
        if let loaded, loaded.count > 4096 - 24 { fatalError("a loaded state would not fit a slot when written again") }
        // Slot 0 holds a checksummed text: when it reads, something must load.
        if canonical != nil && loaded == nil { fatalError("a whole slot was not loaded") }
    } catch let error as FlowlogError {
        guard error.location?.file == path else { fatalError("error without its file: \(error)") }
    } catch {
        fatalError("not a FlowlogError: \(error)")
    }
}

private func checkSpool(_ bytes: [UInt8]) {
    guard bytes.count >= 17 else { return }
    func number(_ at: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
    var head = number(0) % (1 << 16), tail = number(8) % (1 << 16)
    if head > tail { swap(&head, &tail) }
    let chunks = Array(bytes.dropFirst(17))
    let cut = min(chunks.count, Int(bytes[16]) * 16)
    let scratch = FuzzScratch()
    defer { scratch.remove() }
    write(Array(chunks[..<cut]), to: scratch.path + "/00000000000000000000.spool")
    if cut < chunks.count {
        write(Array(chunks[cut...]), to: scratch.path + "/" + String(repeating: "0", count: 20 - String(cut).count) + String(cut) + ".spool")
    }
    do {
        let reading = try SinkFilesCheck.readSpool(directory: scratch.path, head: head, tail: tail, limit: 64 << 20, batchRecords: 1 + Int(bytes[16] % 8))
        guard reading.end <= tail, reading.head >= head, reading.payloadBytes + 16 * reading.records <= Int(tail - reading.head) else {
            fatalError("a spool reading past its bounds: \(reading), head \(head), tail \(tail)")
        }
    } catch let error as FlowlogError {
        guard error.location?.file?.hasPrefix(scratch.path) == true else { fatalError("error without its file: \(error)") }
    } catch {
        fatalError("not a FlowlogError: \(error)")
    }
}

private func write(_ bytes: [UInt8], to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { fatalError("cannot create \(path): errno \(errno)") }
    defer { _ = close(fd) }
    let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count else { fatalError("cannot write \(path): errno \(errno)") }
}

/// One directory for the process, emptied after every input: making and removing a directory
/// per input cost more than reading the files.
private struct FuzzScratch {
    private static let directory: String = {
        var template = Array("/tmp/export-state-fuzz.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed: errno \(errno)") }
        return String(cString: made)
    }()

    var path: String { Self.directory }

    func remove() {
        guard let dir = opendir(path) else { return }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(dir)
        for name in names { unlink(path + "/" + name) }
    }
}
