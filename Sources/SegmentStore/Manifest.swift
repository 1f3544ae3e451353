import FlowCore

/// The directory's list of sealed segments with their time ranges, so a query picks segments
/// by time without opening them. Text, one segment a line, checksummed:
///
/// ```text
/// flowlog-manifest 1
/// <name> <sequence> <blocks> <flows> <bytes> <min start ns> <max end ns> <sealed at ns>
/// …
/// crc32c <8 hex digits over every preceding byte>
/// ```
///
/// Written to `MANIFEST.tmp`, synced and renamed over `MANIFEST`, so it is always whole. It is a
/// cache of the segments' own footers: a missing or damaged manifest is rebuilt from them.
struct Manifest: Equatable {
    struct Entry: Equatable {
        var name: String
        var sequence: UInt64
        var blocks: UInt32
        var flows: UInt64
        var bytes: UInt64
        var minStart: Timestamp
        var maxEnd: Timestamp
        var sealedAt: Timestamp
    }

    static let version = 1
    var entries: [Entry] = []

    var totalBytes: UInt64 { entries.reduce(0) { $0 + $1.bytes } }

    func encoded() -> [UInt8] {
        var text = "flowlog-manifest \(Self.version)\n"
        for e in entries.sorted(by: { $0.sequence < $1.sequence }) {
            text += "\(e.name) \(e.sequence) \(e.blocks) \(e.flows) \(e.bytes) \(e.minStart.nanoseconds) \(e.maxEnd.nanoseconds) \(e.sealedAt.nanoseconds)\n"
        }
        var bytes = Array(text.utf8)
        let crc = String(CRC32C.checksum(bytes), radix: 16)
        bytes += Array("crc32c \(String(repeating: "0", count: 8 - crc.count) + crc)\n".utf8)
        return bytes
    }

    /// Parses a manifest file's bytes; throws with the line at fault.
    static func decode(_ bytes: [UInt8], file: String) throws -> Manifest {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        func fail(_ line: Int, _ why: String, code: FlowlogError.Code = .corrupt) -> FlowlogError {
            FlowlogError(code, why, location: .init(file: file, line: line))
        }
        guard let first = lines.first, first.hasPrefix("flowlog-manifest ") else { throw fail(1, "not a flowlog manifest") }
        guard let version = Int(first.dropFirst("flowlog-manifest ".count)) else { throw fail(1, "bad manifest version") }
        guard version <= Self.version else {
            throw fail(1, "manifest version \(version) is newer than this flowlog understands (\(Self.version)); upgrade flowlog",
                       code: .newerFormat)
        }
        guard lines.count >= 2, let last = lines.last, last.hasPrefix("crc32c "),
              let stored = UInt32(last.dropFirst(7), radix: 16) else {
            throw fail(lines.count, "manifest has no checksum line (torn write?)")
        }
        let body = Array(lines.dropLast().joined(separator: "\n").utf8) + [0x0A]
        guard CRC32C.checksum(body) == stored else { throw fail(lines.count, "manifest checksum mismatch") }
        var manifest = Manifest()
        for (i, line) in lines.dropFirst().dropLast().enumerated() {
            let f = line.split(separator: " ").map(String.init)
            guard f.count == 8, let seq = UInt64(f[1]), let blocks = UInt32(f[2]), let flows = UInt64(f[3]),
                  let size = UInt64(f[4]), let lo = UInt64(f[5]), let hi = UInt64(f[6]), let sealed = UInt64(f[7]) else {
                throw fail(i + 2, "malformed manifest entry")
            }
            manifest.entries.append(Entry(name: f[0], sequence: seq, blocks: blocks, flows: flows, bytes: size,
                                          minStart: Timestamp(nanoseconds: lo), maxEnd: Timestamp(nanoseconds: hi),
                                          sealedAt: Timestamp(nanoseconds: sealed)))
        }
        return manifest
    }

    /// Reads `DIR/MANIFEST`; nil when absent.
    static func load(directory: String) throws -> Manifest? {
        let path = directory + "/" + SegmentFormat.manifestName
        let file: PosixFile
        do {
            file = try PosixFile.openForReading(path)
        } catch let error as FlowlogError where error.code == .fileNotFound {
            return nil
        }
        defer { file.close() }
        var bytes: [UInt8] = []
        let n = try file.read(into: &bytes, count: Int(try file.size), at: 0)
        return try decode(Array(bytes[0..<n]), file: path)
    }

    /// Replaces `DIR/MANIFEST` atomically.
    func store(directory: String, sync: Bool) throws {
        let temporary = try writeTemporary(directory: directory)
        do {
            if sync { try temporary.sync() }
            temporary.close()
        } catch {
            temporary.close()
            throw error
        }
        try Self.install(directory: directory)
        if sync { try Directory.sync(directory) }
    }

    /// The first half of `store`: writes `DIR/MANIFEST.tmp` (replacing a stale one) and returns
    /// it open, not yet synced, for the caller to sync, close and `install`.
    func writeTemporary(directory: String) throws -> PosixFile {
        let temporary = directory + "/" + SegmentFormat.manifestName + ".tmp"
        try Directory.remove(temporary)
        let file = try PosixFile.openForWriting(temporary, create: true)
        do {
            try file.write(encoded(), at: 0)
        } catch {
            file.close()
            throw error
        }
        return file
    }

    /// The second half: renames `DIR/MANIFEST.tmp` over `DIR/MANIFEST` (durable once the
    /// directory is synced).
    static func install(directory: String) throws {
        let path = directory + "/" + SegmentFormat.manifestName
        try Directory.move(path + ".tmp", to: path)
    }

    /// The entry a sealed segment's footer describes.
    static func entry(name: String, sequence: UInt64, footer: SegmentFooter, bytes: UInt64, sealedAt: Timestamp) -> Entry {
        Entry(name: name, sequence: sequence, blocks: footer.blockCount, flows: footer.flowCount, bytes: bytes,
              minStart: footer.minStart, maxEnd: footer.maxEnd, sealedAt: sealedAt)
    }
}
