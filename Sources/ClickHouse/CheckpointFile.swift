import FlowCore
import SegmentStore

/// The framing every exporter checkpoint shares: a text file replaced whole (`DurableFile`),
/// so it is always the old state or the new one, and checked end to end on read:
///
/// ```text
/// <header> <version>
/// <body: one line per field, the checkpoint's own>
/// crc32c <8 hex digits over every preceding byte>
/// ```
///
/// A torn or damaged file fails the checksum and is reported with its path and line, never
/// taken for a shorter valid one: export restarting from a wrong position would lose or repeat
/// rows. The flow, audit and report checkpoints differ only in their body lines.
protocol CheckpointFile: Sendable {
    /// The first word of the file; tells one kind of checkpoint from another.
    static var header: String { get }
    static var version: Int { get }
    /// Larger files are refused before they are parsed.
    static var maximumBytes: Int { get }
    /// Names the kind in errors: "not a flowlog \(kindName)".
    static var kindName: String { get }

    /// `host:port database table`: a checkpoint is for one table and refuses any other.
    var target: String { get }

    /// The body, each line ending in a newline.
    func bodyText() -> String

    /// Builds the checkpoint from its body lines (numbered from 2, the header being 1).
    /// `lastLine` is the checksum line's number, for errors about what is missing.
    static func parse(body: [(number: Int, text: String)], lastLine: Int, file: String) throws -> Self
}

extension CheckpointFile {
    static func corrupt(_ why: String, file: String, line: Int) -> FlowlogError {
        FlowlogError(.corrupt, why, location: .init(file: file, line: line))
    }

    func encoded() -> [UInt8] { frameCheckpoint(firstLine: "\(Self.header) \(Self.version)", body: Array(bodyText().utf8)) }

    /// Parses a checkpoint file; errors name the file and line.
    static func decode(_ bytes: [UInt8], file: String) throws -> Self {
        guard bytes.count <= maximumBytes else {
            throw corrupt("checkpoint larger than \(maximumBytes >> 10) KiB", file: file, line: 1)
        }
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard let first = lines.first, first.hasPrefix(header + " "), let version = Int(first.dropFirst(header.count + 1)) else {
            throw corrupt("not a flowlog \(kindName)", file: file, line: 1)
        }
        guard version <= Self.version else {
            throw FlowlogError(.newerFormat, "checkpoint version \(version) is newer than this flowlog understands (\(Self.version))",
                               location: .init(file: file, line: 1))
        }
        guard lines.count >= 2, let last = lines.last, last.hasPrefix("crc32c "), let stored = UInt32(last.dropFirst(7), radix: 16) else {
            throw corrupt("checkpoint has no checksum line", file: file, line: lines.count)
        }
        guard CRC32C.checksum(Array((lines.dropLast().joined(separator: "\n") + "\n").utf8)) == stored else {
            throw corrupt("checkpoint checksum mismatch", file: file, line: lines.count)
        }
        let body = lines.enumerated().dropFirst().dropLast().map { (number: $0.offset + 1, text: $0.element) }
        return try parse(body: body, lastLine: lines.count, file: file)
    }

    /// Reads `path`; nil when it does not exist.
    static func load(_ path: String) throws -> Self? {
        guard let bytes = try DurableFile.read(path) else { return nil }
        return try decode(bytes, file: path)
    }

    func store(_ path: String) throws { try DurableFile.replace(path, with: encoded()) }
}

/// The exporters' checkpoint kinds, for reading a checkpoint file from its bytes alone: what a
/// restarting exporter would make of it, without a server. The fuzz target
/// (`Fuzz/Sources/export-state-fuzz`) reads hostile files through it.
public enum CheckpointKind: String, CaseIterable, Sendable {
    case flows, audit, reports

    /// `header version`, the file's first line.
    public var firstLine: String {
        switch self {
        case .flows: "\(ExportCheckpoint.header) \(ExportCheckpoint.version)"
        case .audit: "\(AuditExportCheckpoint.header) \(AuditExportCheckpoint.version)"
        case .reports: "\(ReportExportCheckpoint.header) \(ReportExportCheckpoint.version)"
        }
    }

    /// Frames `body` (lines ending in newlines) as a checkpoint file of this kind: the first
    /// line, the body and a checksum line that matches.
    public func framed(body: [UInt8]) -> [UInt8] { frameCheckpoint(firstLine: firstLine, body: body) }

    /// Reads `bytes` as a checkpoint of this kind and gives back the file this flowlog would
    /// write for what it read; errors name `file` and the line.
    public func canonicalForm(of bytes: [UInt8], file: String) throws -> [UInt8] {
        switch self {
        case .flows: try ExportCheckpoint.decode(bytes, file: file).encoded()
        case .audit: try AuditExportCheckpoint.decode(bytes, file: file).encoded()
        case .reports: try ReportExportCheckpoint.decode(bytes, file: file).encoded()
        }
    }
}

/// The first line, the body, and the checksum line over both.
private func frameCheckpoint(firstLine: String, body: [UInt8]) -> [UInt8] {
    var bytes = Array("\(firstLine)\n".utf8) + body
    let crc = String(CRC32C.checksum(bytes), radix: 16)
    bytes += Array("crc32c \(String(repeating: "0", count: 8 - crc.count) + crc)\n".utf8)
    return bytes
}

/// An exporter's hold on its checkpoint: the lock file beside it, taken for as long as the
/// exporter lives, so two exporters never advance one checkpoint (each would skip the other's
/// rows or send them twice).
final class CheckpointLock {
    private var descriptor: Int32?

    /// Takes the lock beside `path`, then loads the checkpoint there, checking it is for
    /// `target` and passes `check`, or starts it with `start()` and stores it. The lock is
    /// released if any of that fails.
    static func open<C: CheckpointFile>(
        _ path: String, holder: String, target: String, newFileHint: String,
        check: (C) throws -> Void = { _ in }, start: () throws -> C
    ) throws -> (lock: CheckpointLock, checkpoint: C) {
        let lock = CheckpointLock(descriptor: try DurableFile.lock(path + ".lock", holder: holder))
        do {
            if let existing = try C.load(path) {
                guard existing.target == target else {
                    throw FlowlogError(.invalidArgument, "checkpoint belongs to \(existing.target), not \(target); \(newFileHint)",
                                       location: .init(file: path))
                }
                try check(existing)
                return (lock, existing)
            }
            let started = try start()
            try started.store(path)
            return (lock, started)
        } catch {
            lock.release()
            throw error
        }
    }

    /// Where an exporter keeps its checkpoint unless told otherwise: one file per server and
    /// table in the source's `exports/` directory.
    static func defaultPath(exports: String, endpoint: ClickHouseEndpoint, database: String, table: String) -> String {
        exports + "/clickhouse-" + endpoint.hostAndPort.map { $0 == ":" ? "_" : $0 } + "-\(database).\(table).checkpoint"
    }

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { release() }

    func release() {
        if let fd = descriptor { DurableFile.unlock(fd) }
        descriptor = nil
    }
}
