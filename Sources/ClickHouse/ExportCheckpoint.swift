import FlowCore
import SegmentStore

/// An exporter's durable progress through one store towards one table, framed as every
/// checkpoint is (`CheckpointFile`):
///
/// ```text
/// flowlog-clickhouse-checkpoint 1
/// store <store id: 32 hex digits>
/// target <host:port> <database> <table>
/// filter <the export filter, spaces collapsed; empty for every flow>
/// exported <segment> <block>            last block all of whose rows are in ClickHouse
///                                       ("exported none" before the first)
/// totals <rows> <blocks> <blocks lost>   rows and blocks exported so far; blocks that retention
///                                       deleted or damage made unreadable before export
/// pending <segment> <block> <segment> <block>      first and last block of a batch sent but
///                                       not known to be stored (absent when none)
/// unit <yyyymmdd> <rows> <min start ns> <max start ns> <query id>    one line per INSERT
///                                       of that batch (one UTC day each)
/// crc32c <8 hex digits over every preceding byte>
/// ```
///
/// `docs/clickhouse.md` explains how the pending batch makes export exactly-once.
public struct ExportCheckpoint: CheckpointFile, Equatable {
    /// One INSERT of a batch: the batch's rows of one UTC day, which ClickHouse stores as one
    /// part (all or nothing).
    public struct Unit: Equatable, Sendable {
        public var day: UInt32
        public var rows: UInt64
        public var minStart: UInt64
        public var maxStart: UInt64
        public var queryID: String
    }

    public struct Pending: Equatable, Sendable {
        public var first: BlockPosition
        public var last: BlockPosition
        public var units: [Unit]
    }

    public var storeID: String
    public var target: String
    public var filter = ""
    public var exported: BlockPosition?
    public var rowsExported: UInt64 = 0
    public var blocksExported: UInt64 = 0
    public var blocksLost: UInt64 = 0
    public var pending: Pending?

    static let version = 1
    static let header = "flowlog-clickhouse-checkpoint"
    /// A pending batch lists a unit per UTC day it spans.
    static let maximumBytes = 1 << 20
    static let kindName = "ClickHouse checkpoint"

    public init(storeID: String, target: String) {
        self.storeID = storeID
        self.target = target
    }

    func bodyText() -> String {
        var text = "store \(storeID)\ntarget \(target)\nfilter \(filter)\n"
        text += exported.map { "exported \($0.segment) \($0.block)\n" } ?? "exported none\n"
        text += "totals \(rowsExported) \(blocksExported) \(blocksLost)\n"
        if let pending {
            text += "pending \(pending.first.segment) \(pending.first.block) \(pending.last.segment) \(pending.last.block)\n"
            for u in pending.units { text += "unit \(u.day) \(u.rows) \(u.minStart) \(u.maxStart) \(u.queryID)\n" }
        }
        return text
    }

    static func parse(body: [(number: Int, text: String)], lastLine: Int, file: String) throws -> ExportCheckpoint {
        func fail(_ line: Int, _ why: String) -> FlowlogError { corrupt(why, file: file, line: line) }
        var storeID: String?, target: String?
        var checkpoint = ExportCheckpoint(storeID: "", target: "")
        var sawExported = false
        for (n, line) in body {
            let f = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            switch f.first {
            case "store" where f.count == 2 && f[1].count == 32 && f[1].allSatisfy(\.isHexDigit):
                storeID = f[1]
            case "target" where f.count == 4:
                target = f[1...].joined(separator: " ")
            case "filter":
                checkpoint.filter = String(line.dropFirst("filter".count).drop(while: { $0 == " " }))
            case "exported" where f.count == 2 && f[1] == "none":
                sawExported = true
            case "exported" where f.count == 3:
                guard let s = UInt64(f[1]), let b = UInt32(f[2]) else { throw fail(n, "malformed exported line") }
                checkpoint.exported = BlockPosition(segment: s, block: b)
                sawExported = true
            case "totals" where f.count == 4:
                guard let r = UInt64(f[1]), let b = UInt64(f[2]), let l = UInt64(f[3]) else { throw fail(n, "malformed totals line") }
                (checkpoint.rowsExported, checkpoint.blocksExported, checkpoint.blocksLost) = (r, b, l)
            case "pending" where f.count == 5:
                guard let s1 = UInt64(f[1]), let b1 = UInt32(f[2]), let s2 = UInt64(f[3]), let b2 = UInt32(f[4]) else {
                    throw fail(n, "malformed pending line")
                }
                checkpoint.pending = Pending(first: BlockPosition(segment: s1, block: b1), last: BlockPosition(segment: s2, block: b2), units: [])
            case "unit" where f.count == 6 && checkpoint.pending != nil:
                guard let day = UInt32(f[1]), let rows = UInt64(f[2]), let lo = UInt64(f[3]), let hi = UInt64(f[4]), !f[5].isEmpty else {
                    throw fail(n, "malformed unit line")
                }
                checkpoint.pending!.units.append(Unit(day: day, rows: rows, minStart: lo, maxStart: hi, queryID: f[5]))
            default:
                throw fail(n, "unexpected line '\(line.prefix(80))'")
            }
        }
        guard let storeID, let target, sawExported else { throw fail(lastLine, "checkpoint lacks its store, target or exported line") }
        checkpoint.storeID = storeID
        checkpoint.target = target
        return checkpoint
    }
}
