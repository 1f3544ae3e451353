import FlowCore
import SegmentStore

/// A report exporter's durable progress through one report archive towards one table, framed
/// as every checkpoint is (`CheckpointFile`).
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
struct ReportExportCheckpoint: CheckpointFile, Equatable {
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

    static let kindName = "ClickHouse report checkpoint"

    func bodyText() -> String {
        var text = "store \(storeID)\ntarget \(target)\ntotals \(reportsExported) \(rowsExported)\n"
        for id in done.keys.sorted() { text += "done \(id) \(done[id]!)\n" }
        if let p = pending {
            text += "pending \(p.rows) \(p.queryID)\n"
            for r in p.reports { text += "report \(r.id) \(r.digest)\n" }
        }
        return text
    }

    /// Whether a report id or digest can stand in a checkpoint line.
    static func isWord(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 512 && s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    static func parse(body: [(number: Int, text: String)], lastLine: Int, file: String) throws -> ReportExportCheckpoint {
        func fail(_ line: Int, _ why: String) -> FlowlogError { corrupt(why, file: file, line: line) }
        var storeID: String?, target: String?
        var checkpoint = ReportExportCheckpoint(storeID: "", target: "")
        for (n, line) in body {
            let f = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            switch f.first {
            case "store" where f.count == 2 && f[1].count == 32 && f[1].allSatisfy(\.isHexDigit): storeID = f[1]
            case "target" where f.count == 4: target = f[1...].joined(separator: " ")
            case "totals" where f.count == 3:
                guard let reports = UInt64(f[1]), let rows = UInt64(f[2]) else { throw fail(n, "malformed totals line") }
                (checkpoint.reportsExported, checkpoint.rowsExported) = (reports, rows)
            case "done" where f.count == 3 && checkpoint.pending == nil:
                guard isWord(f[1]), isWord(f[2]), checkpoint.done[f[1]] == nil else { throw fail(n, "malformed or repeated done line") }
                checkpoint.done[f[1]] = f[2]
            case "pending" where f.count == 3 && checkpoint.pending == nil:
                guard let rows = UInt64(f[1]), isWord(f[2]) else { throw fail(n, "malformed pending line") }
                checkpoint.pending = Pending(rows: rows, queryID: f[2], reports: [])
            case "report" where f.count == 3 && checkpoint.pending != nil:
                guard isWord(f[1]), isWord(f[2]) else { throw fail(n, "malformed report line") }
                checkpoint.pending!.reports.append(Sent(id: f[1], digest: f[2]))
            default:
                throw fail(n, "unexpected line '\(line.prefix(80))'")
            }
        }
        guard let storeID, let target else { throw fail(lastLine, "checkpoint lacks its store or target line") }
        if let p = checkpoint.pending, p.reports.isEmpty { throw fail(lastLine, "pending line without its reports") }
        (checkpoint.storeID, checkpoint.target) = (storeID, target)
        return checkpoint
    }
}
