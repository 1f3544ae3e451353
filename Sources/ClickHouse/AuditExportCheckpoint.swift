import FlowCore
import SegmentStore

/// An audit exporter's durable progress through one audit store towards one table, framed as
/// every checkpoint is (`CheckpointFile`).
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
struct AuditExportCheckpoint: CheckpointFile, Equatable {
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

    static let maximumBytes = 1 << 16
    static let kindName = "ClickHouse audit checkpoint"

    func bodyText() -> String {
        var text = "store \(storeID)\ntarget \(target)\nexported \(exported)\ntotals \(rowsExported)\n"
        if let p = pending { text += "pending \(p.first) \(p.last) \(p.rows) \(p.queryID)\n" }
        return text
    }

    static func parse(body: [(number: Int, text: String)], lastLine: Int, file: String) throws -> AuditExportCheckpoint {
        func fail(_ line: Int, _ why: String) -> FlowlogError { corrupt(why, file: file, line: line) }
        var storeID: String?, target: String?, exported: UInt64?
        var checkpoint = AuditExportCheckpoint(storeID: "", target: "")
        for (n, line) in body {
            let f = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            switch f.first {
            case "store" where f.count == 2 && f[1].count == 32 && f[1].allSatisfy(\.isHexDigit): storeID = f[1]
            case "target" where f.count == 4: target = f[1...].joined(separator: " ")
            case "exported" where f.count == 2: exported = UInt64(f[1])
            case "totals" where f.count == 2:
                guard let rows = UInt64(f[1]) else { throw fail(n, "malformed totals line") }
                checkpoint.rowsExported = rows
            case "pending" where f.count == 5:
                guard let a = UInt64(f[1]), let b = UInt64(f[2]), let n = UInt64(f[3]), a <= b, !f[4].isEmpty else {
                    throw fail(n, "malformed pending line")
                }
                checkpoint.pending = Pending(first: a, last: b, rows: n, queryID: f[4])
            default:
                throw fail(n, "unexpected line '\(line.prefix(80))'")
            }
        }
        guard let storeID, let target, let exported else { throw fail(lastLine, "checkpoint lacks its store, target or exported line") }
        (checkpoint.storeID, checkpoint.target, checkpoint.exported) = (storeID, target, exported)
        return checkpoint
    }
}
