#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore
import NIOCore
import Query
import SegmentStore

/// Copies a store's blocks into a ClickHouse table, each flow exactly once, across crashes of
/// either side (docs/clickhouse.md, "Exactly once"):
///
/// 1. A batch is whole blocks after the checkpoint, its matching rows cut by UTC day into
///    INSERTs ("units") of at most `batchRows`; each unit is one part on the server.
/// 2. Before sending, the batch (its block range, each unit's row count and query id) is
///    written to the checkpoint as pending; after every unit succeeded, the checkpoint moves
///    past the batch and the pending record goes.
/// 3. On start, and after any failure, a pending batch is settled by asking the server: each
///    unit whose query may still be running is waited for, then its rows are counted by the
///    provenance columns. Units found whole are kept, missing ones re-sent, and a partial
///    one (not expected from one part, but checked) deleted and re-sent.
///
/// Not thread-safe: one exporter per (store, table), which a lock file next to the
/// checkpoint enforces across processes.
public final class ClickHouseExporter {
    public struct Options: Sendable {
        public var storeDirectory: String
        public var database = "flowlog"
        public var table = "flows"
        /// Only flows matching it are exported (the same filter language as `flowlog query`).
        public var filterText = ""
        /// Create the database and table when missing (`flowlog clickhouse schema`'s DDL).
        public var createTables = true
        /// Most rows per INSERT (kept below ClickHouse's `max_insert_block_size`).
        public var batchRows = 100_000
        /// Default: `<store>/exports/clickhouse-<host_port>-<database>.<table>.checkpoint`.
        public var checkpointPath: String?
        /// How rows travel: Native (the server ingests it faster; Benchmarks/README.md) or
        /// RowBinary. Both fill the table alike.
        public var format = InsertFormat.native

        public init(storeDirectory: String) { self.storeDirectory = storeDirectory }

        static let maximumBatchRows = 1_000_000
    }

    /// The INSERT's data format.
    public enum InsertFormat: String, Sendable, CaseIterable {
        case native = "Native"
        case rowBinary = "RowBinary"
    }

    /// What one `exportAvailable` call did.
    public struct Progress: Sendable, Equatable {
        public var rows: UInt64 = 0
        public var blocks: UInt64 = 0
        public var batches = 0
    }

    public let options: Options
    public let client: ClickHouseClient
    public let metrics: ExportMetrics
    private let log: @Sendable (String) -> Void
    private let filter: FilterProgram
    public let checkpointPath: String
    private let lock: CheckpointLock
    public private(set) var checkpoint: ExportCheckpoint
    private var reader: StoreReader?
    private var encoder: FlowRowEncoder
    private var nativeEncoder: NativeFlowEncoder
    private static let insertColumns = FlowColumn.list(FlowColumn.allCases)
    private static let columnNames = FlowColumn.allCases.map(\.rawValue)
    private static let columnTypes = FlowColumn.allCases.map(\.type)

    /// Locks and loads (or starts) the checkpoint and checks the options; touches no server.
    public init(options: Options, client: ClickHouseClient, metrics: ExportMetrics, log: @escaping @Sendable (String) -> Void) throws {
        guard options.batchRows > 0, options.batchRows <= Options.maximumBatchRows else {
            throw FlowlogError(.invalidArgument, "batch rows must be 1 to \(Options.maximumBatchRows)", location: .init(field: "--batch-rows"))
        }
        for (name, value) in [("--database", options.database), ("--table", options.table)] {
            guard ClickHouseExporter.isPlainName(value) else {
                throw FlowlogError(.invalidArgument, "'\(value)' is not a plain name (letters, digits, _; not starting with a digit)",
                                   location: .init(field: name))
            }
        }
        self.options = options
        self.client = client
        self.metrics = metrics
        self.log = log
        filter = try FilterProgram(parsing: options.filterText)
        let exports = options.storeDirectory + "/exports"
        let target = "\(client.endpoint.hostAndPort) \(options.database) \(options.table)"
        checkpointPath = options.checkpointPath
            ?? CheckpointLock.defaultPath(exports: exports, endpoint: client.endpoint, database: options.database, table: options.table)
        let filterLine = Self.filterLine(options.filterText)
        let path = checkpointPath
        (lock, checkpoint) = try CheckpointLock.open(
            checkpointPath, holder: "exporter", target: target, newFileHint: "give --checkpoint a new file",
            check: { (existing: ExportCheckpoint) in
                guard existing.filter == filterLine else {
                    throw FlowlogError(.invalidArgument, "checkpoint was made exporting filter '\(existing.filter)'; use the same filter or a new --checkpoint",
                                       location: .init(file: path))
                }
            },
            start: {
                var started = ExportCheckpoint(storeID: try Self.storeIdentity(exports + "/store-id"), target: target)
                started.filter = filterLine
                return started
            })
        encoder = FlowRowEncoder(storeID: checkpoint.storeID)
        nativeEncoder = NativeFlowEncoder(storeID: checkpoint.storeID)
    }

    /// Releases the checkpoint lock (also when the exporter is released).
    public func close() { lock.release() }

    static func isPlainName(_ s: String) -> Bool { ClickHouseSchema.isPlainName(s) }

    /// The filter as the checkpoint records it: one line, spaces collapsed.
    static func filterLine(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
    }

    /// The store's export identity (`store_id` in every row), shared with the other exporters.
    static func storeIdentity(_ path: String) throws -> String { try StoreIdentity.loadOrCreate(path) }

    private var qualifiedTable: String { SQLLiteral.identifier(options.database) + "." + SQLLiteral.identifier(options.table) }

    // MARK: - Preparing

    /// Creates the database and table unless told not to, then settles a pending batch.
    public func prepare() throws {
        if options.createTables {
            for statement in ClickHouseSchema(database: options.database, table: options.table).statements {
                try client.execute(statement)
            }
            try addMissingColumns()
        }
        try settlePending()
    }

    /// A table made by an earlier flowlog lacks the columns added since (`dst_domains`): add
    /// them where the DDL has them, so the INSERT's column list fits. Rows already there read
    /// the column's default (no names).
    private func addMissingColumns() throws {
        let answer = try client.execute("SELECT name FROM system.columns WHERE database = \(SQLLiteral.string(options.database))"
            + " AND table = \(SQLLiteral.string(options.table)) FORMAT TSV")
        let present = Set(String(decoding: answer, as: UTF8.self).split(separator: "\n").map(String.init))
        var previous: FlowColumn?
        for column in FlowColumn.allCases {
            defer { previous = column }
            guard !present.contains(column.rawValue) else { continue }
            let position = previous.map { " AFTER \(SQLLiteral.identifier($0.rawValue))" } ?? ""
            log("export: adding column \(column.rawValue) to \(options.database).\(options.table)")
            try client.execute("ALTER TABLE \(qualifiedTable) ADD COLUMN \(SQLLiteral.identifier(column.rawValue)) \(column.type)\(position)")
        }
    }

    // MARK: - Exporting

    /// Exports every complete block not yet exported; returns what it did. Throws on the first
    /// failure (the next call settles what was in flight).
    public func exportAvailable() throws -> Progress {
        // The backlog first: while the server is down, settling fails, and the lag must still
        // follow the writer.
        let reader = try storeReader()
        try refreshBacklog(reader)
        try settlePending()
        var progress = Progress()
        // One batch in flight while the next is read and encoded: the server ingests batch k
        // while this thread builds k + 1, and k is committed before k + 1 becomes pending, so
        // the checkpoint still holds at most one pending batch.
        var inFlight: SentBatch?
        var next = backlogStart
        do {
            while next < backlog.count {
                guard let batch = try buildBatch(from: backlog[next...], reader: reader) else { break }
                next += batch.blockCount
                if let sent = inFlight {
                    inFlight = nil
                    try finish(sent, progress: &progress)
                }
                inFlight = try start(batch)
            }
        } catch {
            // What is already on its way is still worth committing; its own failure is settled
            // on the next pass like any other.
            if let sent = inFlight { try? finish(sent, progress: &progress) }
            throw error
        }
        if let sent = inFlight { try finish(sent, progress: &progress) }
        return progress
    }

    // MARK: - Backlog and lag

    /// The complete blocks after the checkpoint, as listed so far (`backlog[backlogStart...]`),
    /// kept between passes so that a pass lists only what the writer added since the last one
    /// (and the open segment again): the lag costs no store scan, however far behind export is.
    private var backlog: [StoredBlock] = []
    private var backlogStart = 0
    /// The last listed block of a sealed segment: listing resumes after it. Blocks of the open
    /// segment are listed again each pass (a writer restarted after a crash may rewrite them).
    private var listedThrough: BlockPosition?
    /// Block entries listing has returned, for the tests that check it lists only what is new.
    private(set) var blocksListed: UInt64 = 0

    private func refreshBacklog(_ reader: StoreReader) throws {
        dropExported()
        var keep = backlog.count
        while keep > backlogStart, !backlog[keep - 1].sealed { keep -= 1 }
        backlog.removeSubrange(keep...)
        let from = [checkpoint.exported, listedThrough].compactMap { $0 }.max()
        let (listed, problems) = try reader.blocks(after: from)
        for p in problems { log("export: store problem: \(p)") }
        blocksListed += UInt64(listed.count)
        backlog += listed
        if let lastSealed = listed.last(where: \.sealed) { listedThrough = lastSealed.position }
        updateLag()
    }

    /// Forgets backlog entries the checkpoint has moved past.
    private func dropExported() {
        guard let exported = checkpoint.exported else { return }
        while backlogStart < backlog.count, backlog[backlogStart].position <= exported { backlogStart += 1 }
        if backlogStart > 1024 && backlogStart * 2 > backlog.count {
            backlog.removeFirst(backlogStart)
            backlogStart = 0
        }
    }

    /// Lag from the backlog in memory.
    private func updateLag() {
        var flows: UInt64 = 0
        var oldest: Timestamp?
        for block in backlog[backlogStart...] {
            flows += UInt64(block.flowCount)
            if oldest.map({ block.minStart < $0 }) ?? true { oldest = block.minStart }
        }
        metrics.lag(blocks: UInt64(backlog.count - backlogStart), flows: flows, oldestStart: oldest)
    }

    private func storeReader() throws -> StoreReader {
        if let reader { return reader }
        let opened = try StoreReader(directory: options.storeDirectory)
        reader = opened
        return opened
    }


    /// A batch ready to send: whole blocks, their matching rows by UTC day.
    struct Batch {
        var first: BlockPosition
        var last: BlockPosition
        var blockCount = 0
        var lostBlocks: UInt64 = 0
        var units: [UInt32: Unit] = [:]
        var rows: UInt64 { units.values.reduce(0) { $0 + $1.rows } }
    }

    /// One day's rows of a batch, encoded in the chosen format.
    struct Unit {
        var rowBinary = RowBinaryWriter()
        var native: NativeBlock?
        var rows: UInt64 = 0
        var minStart = UInt64.max
        var maxStart: UInt64 = 0

        init(format: InsertFormat) {
            switch format {
            case .rowBinary: rowBinary = RowBinaryWriter(capacity: 1 << 20)
            case .native: native = NativeBlock(types: ClickHouseExporter.columnTypes)
            }
        }

        func body(_ format: InsertFormat) -> ByteBuffer {
            switch format {
            case .rowBinary: return ByteBuffer(bytes: rowBinary.bytes)
            case .native: return native!.encoded(names: ClickHouseExporter.columnNames, types: ClickHouseExporter.columnTypes)
            }
        }
    }

    /// Reads blocks from `listed` (in order) until the batch is full; nil when the first block
    /// cannot be read yet (the open segment's block still being written).
    private func buildBatch(from listed: ArraySlice<StoredBlock>, reader: StoreReader) throws -> Batch? {
        let blocks = StoreBlockReader(reader: reader)
        var batch: Batch?
        encoder.reset()
        nativeEncoder.reset()
        for (i, info) in zip(listed.indices, listed) {
            if let b = batch, b.rows + UInt64(info.flowCount) > UInt64(options.batchRows), b.blockCount > 0 { break }
            let outcome = try blocks.read(info.position)
            var current = batch ?? Batch(first: info.position, last: info.position)
            switch outcome {
            case .read(let flows):
                append(flows, of: info.position, to: &current)
            case .deleted:
                log("export: block \(info.position) was deleted by retention before it was exported")
                current.lostBlocks += 1
            case .damaged(let error):
                if !info.sealed && i == listed.index(before: listed.endIndex) {
                    // The writer may be in the middle of this block: try again next time.
                    return batch
                }
                log("export: block \(info.position) is damaged and cannot be exported: \(error)")
                current.lostBlocks += 1
            }
            current.last = info.position
            current.blockCount += 1
            batch = current
        }
        return batch
    }

    /// Per UTC day, the rows of the block being appended that go into that day's unit.
    private var rowsOfDay: [UInt32: [Int32]] = [:]

    private func append(_ flows: [AnnotatedFlow], of position: BlockPosition, to batch: inout Batch) {
        for day in rowsOfDay.keys { rowsOfDay[day]!.removeAll(keepingCapacity: true) }
        var lastDay: (index: UInt64, day: UInt32) = (.max, 0)
        var run: [Int32] = []
        for (row, record) in flows.enumerated() where filter.matches(record) {
            let dayIndex = record.flow.start.seconds / 86_400
            if dayIndex != lastDay.index {
                if !run.isEmpty { rowsOfDay[lastDay.day, default: []] += run }
                run.removeAll(keepingCapacity: true)
                lastDay = (dayIndex, Self.yyyymmdd(daysSinceEpoch: dayIndex))
            }
            run.append(Int32(row))
        }
        if !run.isEmpty { rowsOfDay[lastDay.day, default: []] += run }
        for (day, rows) in rowsOfDay where !rows.isEmpty {
            var unit = batch.units[day] ?? Unit(format: options.format)
            batch.units[day] = nil  // keeps the unit's buffers uniquely referenced while appending
            for r in rows {
                let start = flows[Int(r)].flow.start.nanoseconds
                unit.minStart = min(unit.minStart, start)
                unit.maxStart = max(unit.maxStart, start)
            }
            unit.rows += UInt64(rows.count)
            switch options.format {
            case .rowBinary:
                for r in rows { encoder.append(flows[Int(r)], at: position, row: UInt32(r), into: &unit.rowBinary) }
            case .native:
                nativeEncoder.append(flows, rows: rows, at: position, into: unit.native!)
            }
            batch.units[day] = unit
        }
    }

    static func yyyymmdd(daysSinceEpoch days: UInt64) -> UInt32 {
        let (y, m, d) = Timestamp.civilDate(daysSinceEpoch: Int64(days))
        return UInt32(truncatingIfNeeded: y * 10_000 + m * 100 + d)
    }

    private func queryID(_ batch: Batch, day: UInt32) -> String {
        "flowlog-\(checkpoint.storeID)-\(batch.first.segment)-\(batch.first.block)-\(day)"
    }

    /// A batch whose INSERTs were sent and not yet answered: what committing it needs (its
    /// rows are in the request bodies, not kept twice).
    private struct SentBatch {
        var last: BlockPosition
        var rows: UInt64
        var blocks: UInt64
        var lostBlocks: UInt64
        var inserts: [ClickHouseClient.InsertInFlight]
    }

    /// Records `batch` as pending and sends its units without waiting for the answers.
    private func start(_ batch: Batch) throws -> SentBatch {
        let days = batch.units.keys.sorted()
        var inserts: [ClickHouseClient.InsertInFlight] = []
        if !days.isEmpty {
            checkpoint.pending = ExportCheckpoint.Pending(
                first: batch.first, last: batch.last,
                units: days.map { day in
                    let u = batch.units[day]!
                    return ExportCheckpoint.Unit(day: day, rows: u.rows, minStart: u.minStart, maxStart: u.maxStart,
                                                 queryID: queryID(batch, day: day))
                })
            try checkpoint.store(checkpointPath)
            for day in days {
                do {
                    inserts.append(try client.startInsert(insertStatement, rows: batch.units[day]!.body(options.format),
                                                          settings: insertSettings(queryID: queryID(batch, day: day))))
                } catch {
                    metrics.failed()
                    for sent in inserts { try? sent.wait() }
                    throw error
                }
            }
        }
        return SentBatch(last: batch.last, rows: batch.rows, blocks: UInt64(batch.blockCount), lostBlocks: batch.lostBlocks, inserts: inserts)
    }

    /// Waits for every INSERT of `sent`, then commits it.
    private func finish(_ sent: SentBatch, progress: inout Progress) throws {
        var failure: Error?
        for insert in sent.inserts {
            do { try insert.wait() } catch {
                metrics.failed()
                if failure == nil { failure = error }
            }
        }
        if let failure { throw failure }
        try commit(through: sent.last, rows: sent.rows, blocks: sent.blocks, lost: sent.lostBlocks)
        progress.rows += sent.rows
        progress.blocks += sent.blocks
        progress.batches += 1
    }

    private var insertStatement: String {
        "INSERT INTO \(qualifiedTable) (\(Self.insertColumns)) FORMAT \(options.format.rawValue)"
    }

    private func insertSettings(queryID: String) -> [(String, String)] {
        [("query_id", queryID), ("max_insert_block_size", String(Options.maximumBatchRows + 48_576))]
    }

    private func insert(_ rows: ByteBuffer, queryID: String) throws {
        do {
            try client.startInsert(insertStatement, rows: rows, settings: insertSettings(queryID: queryID)).wait()
        } catch {
            metrics.failed()
            throw error
        }
    }

    private func commit(through last: BlockPosition, rows: UInt64, blocks: UInt64, lost: UInt64) throws {
        checkpoint.exported = last
        checkpoint.pending = nil
        checkpoint.rowsExported += rows
        checkpoint.blocksExported += blocks
        checkpoint.blocksLost += lost
        try checkpoint.store(checkpointPath)
        metrics.exported(rows: rows, blocks: blocks)
        metrics.lost(blocks: lost)
        dropExported()
        updateLag()
    }

    // MARK: - Settling a pending batch

    /// The rows of `unit` as the provenance columns find them.
    private func unitCondition(_ pending: ExportCheckpoint.Pending, _ unit: ExportCheckpoint.Unit) -> String {
        let f = pending.first, l = pending.last
        return "store_id = \(SQLLiteral.string(checkpoint.storeID))"
            + " AND (segment > \(f.segment) OR (segment = \(f.segment) AND block >= \(f.block)))"
            + " AND (segment < \(l.segment) OR (segment = \(l.segment) AND block <= \(l.block)))"
            + " AND start >= toDateTime(\(unit.minStart / 1_000_000_000)) AND start <= toDateTime(\(unit.maxStart / 1_000_000_000))"
            + " AND start_ns >= \(unit.minStart) AND start_ns <= \(unit.maxStart)"
    }

    private func scalar(_ sql: String) throws -> UInt64 {
        let text = String(decoding: try client.execute(sql + " FORMAT TSV"), as: UTF8.self)
        guard let value = UInt64(text.split(separator: "\n").first ?? "") else {
            throw FlowlogError(.corrupt, "ClickHouse answered '\(text.prefix(80))' where a count was expected")
        }
        return value
    }

    /// Waits until the server runs no query with this id (an INSERT from before a crash).
    private func awaitQueryEnd(_ queryID: String) throws {
        var waited = 0
        while try scalar("SELECT count() FROM system.processes WHERE query_id = \(SQLLiteral.string(queryID))") > 0 {
            waited += 1
            if waited % 100 == 0 { log("export: waiting for an earlier INSERT \(queryID) to finish on the server") }
            usleep(100_000)
        }
    }

    private func awaitMutations() throws {
        while try scalar("SELECT count() FROM system.mutations WHERE database = \(SQLLiteral.string(options.database))"
            + " AND table = \(SQLLiteral.string(options.table)) AND is_done = 0") > 0 {
            usleep(100_000)
        }
    }

    /// Brings a batch left pending by a crash or a failure to a committed state.
    func settlePending() throws {
        guard let pending = checkpoint.pending else { return }
        do {
            var missing: [ExportCheckpoint.Unit] = []
            for unit in pending.units {
                try awaitQueryEnd(unit.queryID)
                let found = try scalar("SELECT count() FROM \(qualifiedTable) WHERE \(unitCondition(pending, unit))")
                if found == unit.rows { continue }
                if found > 0 {
                    log("export: \(found) of \(unit.rows) rows of \(unit.queryID) are in the table; deleting them to send the unit again")
                    try client.execute("ALTER TABLE \(qualifiedTable) DELETE WHERE \(unitCondition(pending, unit))")
                    try awaitMutations()
                }
                missing.append(unit)
            }
            var lost: UInt64 = 0
            if !missing.isEmpty {
                let rebuilt = try rebuild(pending)
                lost = rebuilt.lostBlocks
                for unit in missing {
                    guard let rows = rebuilt.units[unit.day], rows.rows == unit.rows else {
                        log("export: the store no longer holds the rows of \(unit.queryID) as sent (retention?); sending what it holds")
                        if let rows = rebuilt.units[unit.day] { try insert(rows.body(options.format), queryID: unit.queryID) }
                        continue
                    }
                    try insert(rows.body(options.format), queryID: unit.queryID)
                }
            }
            let rows = pending.units.reduce(UInt64(0)) { $0 + $1.rows }
            let blocks = try pendingBlocks(pending).count
            try commit(through: pending.last, rows: rows, blocks: UInt64(blocks), lost: lost)
        } catch {
            metrics.failed()
            throw error
        }
    }

    /// The blocks of a pending batch (which starts after the checkpoint's last exported block).
    private func pendingBlocks(_ pending: ExportCheckpoint.Pending) throws -> [StoredBlock] {
        try storeReader().blocks(after: checkpoint.exported).blocks.filter { $0.position >= pending.first && $0.position <= pending.last }
    }

    /// The batch `pending` describes, read again from the store.
    private func rebuild(_ pending: ExportCheckpoint.Pending) throws -> Batch {
        let reader = try storeReader()
        let blocks = StoreBlockReader(reader: reader)
        var batch = Batch(first: pending.first, last: pending.last)
        encoder.reset()
        nativeEncoder.reset()
        let listed = try pendingBlocks(pending)
        for info in listed {
            switch try blocks.read(info.position) {
            case .read(let flows): append(flows, of: info.position, to: &batch)
            case .deleted, .damaged: batch.lostBlocks += 1
            }
            batch.blockCount += 1
        }
        return batch
    }
}
