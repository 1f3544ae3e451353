import FlowCore
import SegmentStore

/// A report exporter's durable progress through one report archive towards one table. Text,
/// checksummed, replaced whole (`DurableFile`): always the old state or the new one.
///
/// ```text
/// flowlog-clickhouse-report-checkpoint 1
/// store <store id: 32 hex digits>
/// target <host:port> <database> <table>
/// totals <reports> <rows>               reports and rows exported so far
/// done <report id> <digest>             a report in the table, as its report.json was then
///                                       (one line each; dropped once the archive no longer
///                                       holds the report)
/// pending <rows> <query id>             an INSERT sent but not known to be stored (absent
/// report <report id> <digest>           when none), and after it the reports it carries
/// crc32c <8 hex digits over every preceding byte>
/// ```
///
/// Reports have no sequence: the agent may archive an older interval after a newer one (a
/// catch-up, a retried failure), so progress is the set of reports sent, each with the
/// SHA-256 of its report.json (a report run again for its interval is sent again).
struct ReportExportCheckpoint: Equatable, Sendable {
    struct Sent: Hashable, Sendable {
        var id: String
        var digest: String
    }

    struct Pending: Equatable, Sendable {
        var rows: UInt64
        var queryID: String
        var reports: [Sent]
    }

    var storeID: String
    var target: String
    var reportsExported: UInt64 = 0
    var rowsExported: UInt64 = 0
    /// Report id → digest of what the table holds.
    var done: [String: String] = [:]
    var pending: Pending?

    static let header = "flowlog-clickhouse-report-checkpoint"
    static let version = 1
    /// A checkpoint lists the archive's reports, a hundred bytes each.
    static let maximumBytes = 64 << 20

    func encoded() -> [UInt8] {
        var text = "\(Self.header) \(Self.version)\nstore \(storeID)\ntarget \(target)\ntotals \(reportsExported) \(rowsExported)\n"
        for id in done.keys.sorted() { text += "done \(id) \(done[id]!)\n" }
        if let p = pending {
            text += "pending \(p.rows) \(p.queryID)\n"
            for r in p.reports { text += "report \(r.id) \(r.digest)\n" }
        }
        var bytes = Array(text.utf8)
        let crc = String(CRC32C.checksum(bytes), radix: 16)
        bytes += Array("crc32c \(String(repeating: "0", count: 8 - crc.count) + crc)\n".utf8)
        return bytes
    }

    /// Whether a report id or digest can stand in a checkpoint line.
    static func isWord(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 512 && s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    static func decode(_ bytes: [UInt8], file: String) throws -> ReportExportCheckpoint {
        func fail(_ line: Int, _ why: String, _ code: FlowlogError.Code = .corrupt) -> FlowlogError {
            FlowlogError(code, why, location: .init(file: file, line: line))
        }
        guard bytes.count <= Self.maximumBytes else { throw fail(1, "checkpoint larger than \(Self.maximumBytes >> 20) MiB") }
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard let first = lines.first, first.hasPrefix(Self.header + " "), let version = Int(first.dropFirst(Self.header.count + 1)) else {
            throw fail(1, "not a flowlog ClickHouse report checkpoint")
        }
        guard version <= Self.version else {
            throw fail(1, "checkpoint version \(version) is newer than this flowlog understands (\(Self.version))", .newerFormat)
        }
        guard lines.count >= 2, let last = lines.last, last.hasPrefix("crc32c "), let stored = UInt32(last.dropFirst(7), radix: 16),
              CRC32C.checksum(Array((lines.dropLast().joined(separator: "\n") + "\n").utf8)) == stored else {
            throw fail(lines.count, "checkpoint checksum missing or wrong")
        }
        var storeID: String?, target: String?
        var checkpoint = ReportExportCheckpoint(storeID: "", target: "")
        for (i, line) in lines.enumerated().dropFirst().dropLast() {
            let f = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            switch f.first {
            case "store" where f.count == 2 && f[1].count == 32 && f[1].allSatisfy(\.isHexDigit): storeID = f[1]
            case "target" where f.count == 4: target = f[1...].joined(separator: " ")
            case "totals" where f.count == 3:
                guard let reports = UInt64(f[1]), let rows = UInt64(f[2]) else { throw fail(i + 1, "malformed totals line") }
                (checkpoint.reportsExported, checkpoint.rowsExported) = (reports, rows)
            case "done" where f.count == 3 && checkpoint.pending == nil:
                guard isWord(f[1]), isWord(f[2]), checkpoint.done[f[1]] == nil else { throw fail(i + 1, "malformed or repeated done line") }
                checkpoint.done[f[1]] = f[2]
            case "pending" where f.count == 3 && checkpoint.pending == nil:
                guard let rows = UInt64(f[1]), isWord(f[2]) else { throw fail(i + 1, "malformed pending line") }
                checkpoint.pending = Pending(rows: rows, queryID: f[2], reports: [])
            case "report" where f.count == 3 && checkpoint.pending != nil:
                guard isWord(f[1]), isWord(f[2]) else { throw fail(i + 1, "malformed report line") }
                checkpoint.pending!.reports.append(Sent(id: f[1], digest: f[2]))
            default:
                throw fail(i + 1, "unexpected line '\(line.prefix(80))'")
            }
        }
        guard let storeID, let target else { throw fail(lines.count, "checkpoint lacks its store or target line") }
        if let p = checkpoint.pending, p.reports.isEmpty { throw fail(lines.count, "pending line without its reports") }
        (checkpoint.storeID, checkpoint.target) = (storeID, target)
        return checkpoint
    }

    static func load(_ path: String) throws -> ReportExportCheckpoint? {
        guard let bytes = try DurableFile.read(path) else { return nil }
        return try decode(bytes, file: path)
    }

    func store(_ path: String) throws { try DurableFile.replace(path, with: encoded()) }
}
