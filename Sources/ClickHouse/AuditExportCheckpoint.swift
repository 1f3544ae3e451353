import FlowCore
import SegmentStore

/// An audit exporter's durable progress through one audit store towards one table. Text,
/// checksummed, replaced whole (`DurableFile`): always the old state or the new one.
///
/// ```text
/// flowlog-clickhouse-audit-checkpoint 1
/// store <audit store id: 32 hex digits>
/// target <host:port> <database> <table>
/// exported <sequence>                  every version up to it is in ClickHouse (0: none)
/// totals <rows>                        versions exported so far
/// pending <first> <last> <rows> <query id>   an INSERT sent but not known to be stored
///                                      (absent when none)
/// crc32c <8 hex digits over every preceding byte>
/// ```
///
/// Versions carry the store's own sequence numbers, so a range of them names an INSERT's rows
/// for good (docs/clickhouse.md, "Audit versions").
struct AuditExportCheckpoint: Equatable, Sendable {
    struct Pending: Equatable, Sendable {
        var first: UInt64
        var last: UInt64
        var rows: UInt64
        var queryID: String
    }

    var storeID: String
    var target: String
    var exported: UInt64 = 0
    var rowsExported: UInt64 = 0
    var pending: Pending?

    static let header = "flowlog-clickhouse-audit-checkpoint"
    static let version = 1

    func encoded() -> [UInt8] {
        var text = "\(Self.header) \(Self.version)\nstore \(storeID)\ntarget \(target)\nexported \(exported)\ntotals \(rowsExported)\n"
        if let p = pending { text += "pending \(p.first) \(p.last) \(p.rows) \(p.queryID)\n" }
        var bytes = Array(text.utf8)
        let crc = String(CRC32C.checksum(bytes), radix: 16)
        bytes += Array("crc32c \(String(repeating: "0", count: 8 - crc.count) + crc)\n".utf8)
        return bytes
    }

    static func decode(_ bytes: [UInt8], file: String) throws -> AuditExportCheckpoint {
        func fail(_ line: Int, _ why: String, _ code: FlowlogError.Code = .corrupt) -> FlowlogError {
            FlowlogError(code, why, location: .init(file: file, line: line))
        }
        guard bytes.count <= 1 << 16 else { throw fail(1, "checkpoint larger than 64 KiB") }
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard let first = lines.first, first.hasPrefix(Self.header + " "), let version = Int(first.dropFirst(Self.header.count + 1)) else {
            throw fail(1, "not a flowlog ClickHouse audit checkpoint")
        }
        guard version <= Self.version else {
            throw fail(1, "checkpoint version \(version) is newer than this flowlog understands (\(Self.version))", .newerFormat)
        }
        guard lines.count >= 2, let last = lines.last, last.hasPrefix("crc32c "), let stored = UInt32(last.dropFirst(7), radix: 16),
              CRC32C.checksum(Array((lines.dropLast().joined(separator: "\n") + "\n").utf8)) == stored else {
            throw fail(lines.count, "checkpoint checksum missing or wrong")
        }
        var storeID: String?, target: String?, exported: UInt64?
        var checkpoint = AuditExportCheckpoint(storeID: "", target: "")
        for (i, line) in lines.enumerated().dropFirst().dropLast() {
            let f = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            switch f.first {
            case "store" where f.count == 2 && f[1].count == 32 && f[1].allSatisfy(\.isHexDigit): storeID = f[1]
            case "target" where f.count == 4: target = f[1...].joined(separator: " ")
            case "exported" where f.count == 2: exported = UInt64(f[1])
            case "totals" where f.count == 2:
                guard let rows = UInt64(f[1]) else { throw fail(i + 1, "malformed totals line") }
                checkpoint.rowsExported = rows
            case "pending" where f.count == 5:
                guard let a = UInt64(f[1]), let b = UInt64(f[2]), let n = UInt64(f[3]), a <= b, !f[4].isEmpty else {
                    throw fail(i + 1, "malformed pending line")
                }
                checkpoint.pending = Pending(first: a, last: b, rows: n, queryID: f[4])
            default:
                throw fail(i + 1, "unexpected line '\(line.prefix(80))'")
            }
        }
        guard let storeID, let target, let exported else { throw fail(lines.count, "checkpoint lacks its store, target or exported line") }
        (checkpoint.storeID, checkpoint.target, checkpoint.exported) = (storeID, target, exported)
        return checkpoint
    }

    static func load(_ path: String) throws -> AuditExportCheckpoint? {
        guard let bytes = try DurableFile.read(path) else { return nil }
        return try decode(bytes, file: path)
    }

    func store(_ path: String) throws { try DurableFile.replace(path, with: encoded()) }
}
