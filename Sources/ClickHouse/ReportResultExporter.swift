#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Audit
import Crypto
import FlowCore
import Reports
import SegmentStore

/// Copies the compliance reports a data directory archived (`DATA/reports/<id>/report.json`)
/// into the `report_results` table (`ReportResultTable`), each exactly once across crashes of
/// either side, with the discipline of the flow and audit exporters: a batch of reports is
/// recorded in the checkpoint as pending before its one INSERT (one part) is sent, and a
/// pending batch is settled by counting its rows by report id and digest (whole: keep; none:
/// send again; partial: delete and send again). A report whose report.json changes (its
/// interval run again) is sent again under its new digest. One exporter per (archive, table):
/// a lock file beside the checkpoint.
public final class ReportResultExporter {
    public struct Options: Sendable {
        /// The data directory whose `reports/` is the archive (the store's directory).
        public var dataDirectory: String
        public var database = "flowlog"
        public var table = "report_results"
        public var createTables = true
        /// Most rows per INSERT (a report is never split: one bigger than this goes alone).
        public var batchRows = 100_000
        /// Default: `<data>/exports/clickhouse-<host_port>-<database>.<table>.checkpoint`.
        public var checkpointPath: String?

        public init(dataDirectory: String) { self.dataDirectory = dataDirectory }

        /// Most reports per INSERT.
        static let batchReports = 100
    }

    /// What one `exportAvailable` call sent.
    public struct Progress: Sendable, Equatable {
        public var reports = 0
        public var rows: UInt64 = 0
    }

    public let options: Options
    public let client: ClickHouseClient
    public let checkpointPath: String
    private let log: @Sendable (String) -> Void
    private let lock: CheckpointLock
    private(set) var checkpoint: ReportExportCheckpoint
    /// report.json's size and modification time per report as last listed, and its digest.
    private var known: [String: (signature: String, digest: String)] = [:]
    /// The archive as last exported in full (names, sizes, times): unchanged means nothing to do.
    private var lastListing: [String]?
    /// Report files that did not parse, by digest, so each is logged once.
    private var unreadable: Set<String> = []

    public init(options: Options, client: ClickHouseClient, log: @escaping @Sendable (String) -> Void) throws {
        guard options.batchRows > 0, options.batchRows <= 1_000_000 else {
            throw FlowlogError(.invalidArgument, "batch rows must be 1 to 1000000", location: .init(field: "--batch-rows"))
        }
        for (name, value) in [("--database", options.database), ("--report-table", options.table)] where !ClickHouseSchema.isPlainName(value) {
            throw FlowlogError(.invalidArgument, "'\(value)' is not a plain name (letters, digits, _; not starting with a digit)",
                               location: .init(field: name))
        }
        self.options = options
        self.client = client
        self.log = log
        let exports = options.dataDirectory + "/exports"
        let target = "\(client.endpoint.hostAndPort) \(options.database) \(options.table)"
        checkpointPath = options.checkpointPath
            ?? CheckpointLock.defaultPath(exports: exports, endpoint: client.endpoint, database: options.database, table: options.table)
        (lock, checkpoint) = try CheckpointLock.open(checkpointPath, holder: "report exporter", target: target,
                                                     newFileHint: "give a new checkpoint file") {
            ReportExportCheckpoint(storeID: try ClickHouseExporter.storeIdentity(exports + "/store-id"), target: target)
        }
    }

    /// Releases the checkpoint lock (also when the exporter is released).
    public func close() { lock.release() }

    private var qualifiedTable: String { SQLLiteral.identifier(options.database) + "." + SQLLiteral.identifier(options.table) }

    /// Creates the database and table unless told not to, then settles a pending batch.
    public func prepare() throws {
        if options.createTables {
            for statement in ClickHouseSchema(database: options.database).reportStatements(table: options.table) {
                try client.execute(statement)
            }
        }
        try settlePending()
    }

    /// A report read from the archive, ready to send.
    struct Prepared {
        var report: ReportResultTable.Report
        var items: [ReportResultTable.Item]
    }

    /// Exports every archived report the table does not hold as it is now.
    public func exportAvailable() throws -> Progress {
        try settlePending()
        // A following exporter polls often and reports come rarely: read the archive only when
        // its files did change (names, sizes, times).
        let listing = archiveListing()
        if listing == lastListing { return Progress() }
        let archived = try ReportArchive(dataDirectory: options.dataDirectory).list()
        var progress = Progress()
        var batch: [Prepared] = []
        var complete = true
        for report in archived {
            guard let prepared = try prepare(report) else {
                complete = complete && checkpoint.done[report.id] != nil
                continue
            }
            batch.append(prepared)
            if batch.count >= Options.batchReports || batch.reduce(0, { $0 + $1.items.count }) >= options.batchRows {
                try send(batch, progress: &progress)
                batch.removeAll()
            }
        }
        if !batch.isEmpty { try send(batch, progress: &progress) }
        // Reports the archive no longer holds need no record.
        let present = Set(archived.map(\.id))
        if checkpoint.done.keys.contains(where: { !present.contains($0) }) {
            checkpoint.done = checkpoint.done.filter { present.contains($0.key) }
            try checkpoint.store(checkpointPath)
        }
        known = known.filter { present.contains($0.key) }
        // A report still being written (no report.json yet) is looked at again next pass.
        lastListing = complete ? listing : nil
        return progress
    }

    /// The report as its report.json is now, nil when the table holds it so or it cannot be
    /// read (logged once).
    private func prepare(_ archived: ArchivedReport) throws -> Prepared? {
        let path = archived.directory + "/report.json"
        let signature = Self.signature(path)
        let digest: String
        var bytes: [UInt8]?
        if let signature, let cached = known[archived.id], cached.signature == signature {
            digest = cached.digest
        } else {
            guard let read = try DurableFile.read(path) else { return nil }
            bytes = read
            digest = Self.sha256Hex(read)
            if let signature { known[archived.id] = (signature, digest) }
        }
        if checkpoint.done[archived.id] == digest { return nil }
        guard let content = try bytes ?? DurableFile.read(path) else { return nil }
        return prepared(archived, content: content)
    }

    /// The rows of a report from its report.json; nil (logged once) when it does not parse.
    private func prepared(_ archived: ArchivedReport, content: [UInt8]) -> Prepared? {
        let digest = Self.sha256Hex(content)
        let document: JSONValue
        do {
            document = try content.withUnsafeBytes { try JSONParser.parse($0, limits: .init(maximumDepth: 64, maximumBytes: 1 << 30)) }
        } catch {
            if unreadable.insert(digest).inserted {
                log("export: \(archived.directory)/report.json: \(error); the report is not exported")
            }
            return nil
        }
        guard case .object = document else {
            if unreadable.insert(digest).inserted { log("export: \(archived.directory)/report.json is not a JSON object; the report is not exported") }
            return nil
        }
        let generated = document["generationTime"]?.stringValue.flatMap { Timestamp(rfc3339: $0) } ?? archived.written
        let report = ReportResultTable.Report(storeID: checkpoint.storeID, id: archived.id, name: archived.name, type: archived.type.rawValue,
                                              start: archived.start, end: archived.end, generated: generated, digest: digest)
        return Prepared(report: report, items: ReportResultTable.items(of: document))
    }

    private func send(_ batch: [Prepared], progress: inout Progress) throws {
        let rows = UInt64(batch.reduce(0) { $0 + $1.items.count })
        let reports = batch.map { ReportExportCheckpoint.Sent(id: $0.report.id, digest: $0.report.digest) }
        let pending = ReportExportCheckpoint.Pending(
            rows: rows, queryID: "flowlog-report-\(checkpoint.storeID)-\(reports[0].digest.prefix(16))-\(reports.count)", reports: reports)
        checkpoint.pending = pending
        try checkpoint.store(checkpointPath)
        try insert(batch, queryID: pending.queryID)
        try commit(pending)
        progress.reports += batch.count
        progress.rows += rows
    }

    private func insert(_ batch: [Prepared], queryID: String) throws {
        var w = RowBinaryWriter(capacity: 1 << 16)
        for p in batch {
            for item in p.items { ReportResultTable.encode(item, of: p.report, into: &w) }
        }
        try client.insert("INSERT INTO \(qualifiedTable) (\(ReportResultTable.columnList)) FORMAT RowBinary", rows: w.bytes,
                          settings: [("query_id", queryID), ("max_insert_block_size", "1048576")])
    }

    private func commit(_ pending: ReportExportCheckpoint.Pending) throws {
        for r in pending.reports { checkpoint.done[r.id] = r.digest }
        checkpoint.reportsExported += UInt64(pending.reports.count)
        checkpoint.rowsExported += pending.rows
        checkpoint.pending = nil
        try checkpoint.store(checkpointPath)
    }

    private func scalar(_ sql: String) throws -> UInt64 {
        let text = String(decoding: try client.execute(sql + " FORMAT TSV"), as: UTF8.self)
        guard let value = UInt64(text.split(separator: "\n").first ?? "") else {
            throw FlowlogError(.corrupt, "ClickHouse answered '\(text.prefix(80))' where a count was expected")
        }
        return value
    }

    /// Brings a batch left pending by a crash or a failure to a committed state.
    func settlePending() throws {
        guard let pending = checkpoint.pending else { return }
        while try scalar("SELECT count() FROM system.processes WHERE query_id = \(SQLLiteral.string(pending.queryID))") > 0 {
            usleep(100_000)
        }
        let keys = pending.reports.map { SQLLiteral.string($0.id + " " + $0.digest) }.joined(separator: ", ")
        let rows = "store_id = \(SQLLiteral.string(checkpoint.storeID)) AND concat(report_id, ' ', digest) IN (\(keys))"
        let found = try scalar("SELECT count() FROM \(qualifiedTable) WHERE \(rows)")
        if found == pending.rows {
            try commit(pending)
            return
        }
        if found > 0 {
            log("export: \(found) of \(pending.rows) report rows of \(pending.queryID) are in the table; deleting them to send them again")
            try client.execute("ALTER TABLE \(qualifiedTable) DELETE WHERE \(rows)")
            while try scalar("SELECT count() FROM system.mutations WHERE database = \(SQLLiteral.string(options.database))"
                + " AND table = \(SQLLiteral.string(options.table)) AND is_done = 0") > 0 {
                usleep(100_000)
            }
        }
        // Sent again as the archive holds them now: a report that changed or went since is
        // left to the normal passes (as a new digest) or dropped.
        let archived = Dictionary(try ReportArchive(dataDirectory: options.dataDirectory).list().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var batch: [Prepared] = []
        for sent in pending.reports {
            guard let report = archived[sent.id], let content = try DurableFile.read(report.directory + "/report.json"),
                  let prepared = prepared(report, content: content), prepared.report.digest == sent.digest else { continue }
            batch.append(prepared)
        }
        let resent = ReportExportCheckpoint.Pending(rows: UInt64(batch.reduce(0) { $0 + $1.items.count }), queryID: pending.queryID,
                                                    reports: batch.map { .init(id: $0.report.id, digest: $0.report.digest) })
        if !batch.isEmpty { try insert(batch, queryID: pending.queryID) }
        try commit(resent)
    }

    // MARK: - Files

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }.joined()
    }

    /// Size and modification time of a file, nil when it is missing.
    private static func signature(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return "\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }

    /// Every report directory with its report.json's signature; empty when there is no archive.
    private func archiveListing() -> [String] {
        let directory = options.dataDirectory + "/reports"
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard !name.hasPrefix(".") else { continue }
            let summary = Self.signature(directory + "/" + name + "/summary.csv") ?? "-"
            names.append("\(name) \(Self.signature(directory + "/" + name + "/report.json") ?? "-") \(summary)")
        }
        return names.sorted()
    }
}
