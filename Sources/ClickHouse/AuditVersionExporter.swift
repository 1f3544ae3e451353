#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Audit
import FlowCore
import SegmentStore

/// Copies an audit store's versions into the `audit_versions` table, each exactly once across
/// crashes of either side, the way `ClickHouseExporter` copies flows: a batch is the versions
/// after the checkpoint (a range of the store's sequence numbers, one INSERT, one part), the
/// checkpoint records it as pending before it is sent, and a pending batch is settled by
/// counting its sequence range in the table (whole: keep; none: send again; partial: delete
/// and send again). One exporter per (store, table): a lock file beside the checkpoint.
public final class AuditVersionExporter {
    public struct Options: Sendable {
        public var auditDirectory: String
        public var database = "flowlog"
        public var table = "audit_versions"
        public var createTables = true
        /// Most versions per INSERT (below `max_insert_block_size`, so one INSERT is one part).
        public var batchRows = 10_000
        /// Default: `<audit>/exports/clickhouse-<host_port>-<database>.<table>.checkpoint`.
        public var checkpointPath: String?

        public init(auditDirectory: String) { self.auditDirectory = auditDirectory }
    }

    public let options: Options
    public let client: ClickHouseClient
    public let checkpointPath: String
    private let log: @Sendable (String) -> Void
    private let lock: CheckpointLock
    private(set) var checkpoint: AuditExportCheckpoint

    public init(options: Options, client: ClickHouseClient, log: @escaping @Sendable (String) -> Void) throws {
        guard options.batchRows > 0, options.batchRows <= 1_000_000 else {
            throw FlowlogError(.invalidArgument, "batch rows must be 1 to 1000000", location: .init(field: "--batch-rows"))
        }
        for (name, value) in [("--database", options.database), ("--audit-table", options.table)] where !ClickHouseSchema.isPlainName(value) {
            throw FlowlogError(.invalidArgument, "'\(value)' is not a plain name (letters, digits, _; not starting with a digit)",
                               location: .init(field: name))
        }
        self.options = options
        self.client = client
        self.log = log
        let exports = options.auditDirectory + "/exports"
        let target = "\(client.endpoint.hostAndPort) \(options.database) \(options.table)"
        checkpointPath = options.checkpointPath
            ?? CheckpointLock.defaultPath(exports: exports, endpoint: client.endpoint, database: options.database, table: options.table)
        (lock, checkpoint) = try CheckpointLock.open(checkpointPath, holder: "audit exporter", target: target,
                                                     newFileHint: "give a new checkpoint file") {
            AuditExportCheckpoint(storeID: try ClickHouseExporter.storeIdentity(exports + "/store-id"), target: target)
        }
    }

    /// Releases the checkpoint lock (also when the exporter is released).
    public func close() { lock.release() }

    private var qualifiedTable: String { SQLLiteral.identifier(options.database) + "." + SQLLiteral.identifier(options.table) }

    /// Creates the database and table unless told not to, then settles a pending batch.
    public func prepare() throws {
        if options.createTables {
            for statement in ClickHouseSchema(database: options.database).auditStatements(table: options.table) {
                try client.execute(statement)
            }
        }
        try settlePending()
    }

    /// Exports every version after the checkpoint; returns how many.
    public func exportAvailable() throws -> UInt64 {
        try settlePending()
        // A following exporter polls often and the store changes rarely: read it only when its
        // files did (names and sizes; versions are only ever appended).
        let files = try storeFiles()
        if let files, files == lastFiles { return 0 }
        let versions = try AuditStoreReader.load(directory: options.auditDirectory).filter { $0.sequence > checkpoint.exported }
        var sent: UInt64 = 0
        var start = versions.startIndex
        while start < versions.endIndex {
            let end = min(start + options.batchRows, versions.endIndex)
            let batch = versions[start..<end]
            let pending = AuditExportCheckpoint.Pending(first: batch.first!.sequence, last: batch.last!.sequence, rows: UInt64(batch.count),
                                                        queryID: "flowlog-audit-\(checkpoint.storeID)-\(batch.first!.sequence)")
            checkpoint.pending = pending
            try checkpoint.store(checkpointPath)
            try insert(batch, queryID: pending.queryID)
            try commit(pending)
            sent += pending.rows
            start = end
        }
        lastFiles = files
        return sent
    }

    private var lastFiles: [String]?

    /// The store's version files with their sizes; nil when the directory cannot be listed
    /// (the load that follows then says why).
    private func storeFiles() throws -> [String]? {
        guard let dir = opendir(options.auditDirectory) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasPrefix("versions-") else { continue }
            var info = stat()
            names.append(stat(options.auditDirectory + "/" + name, &info) == 0 ? "\(name) \(info.st_size)" : name)
        }
        return names.sorted()
    }

    private func insert(_ versions: ArraySlice<ObjectVersion>, queryID: String) throws {
        var w = RowBinaryWriter(capacity: 1 << 16)
        for v in versions { AuditVersionTable.encode(v, storeID: checkpoint.storeID, into: &w) }
        try client.insert("INSERT INTO \(qualifiedTable) (\(AuditVersionTable.columnList)) FORMAT RowBinary", rows: w.bytes,
                          settings: [("query_id", queryID), ("max_insert_block_size", "1048576")])
    }

    private func commit(_ pending: AuditExportCheckpoint.Pending) throws {
        checkpoint.exported = pending.last
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
        let range = "store_id = \(SQLLiteral.string(checkpoint.storeID)) AND sequence >= \(pending.first) AND sequence <= \(pending.last)"
        let found = try scalar("SELECT count() FROM \(qualifiedTable) WHERE \(range)")
        if found != pending.rows {
            if found > 0 {
                log("export: \(found) of \(pending.rows) audit versions of \(pending.queryID) are in the table; deleting them to send them again")
                try client.execute("ALTER TABLE \(qualifiedTable) DELETE WHERE \(range)")
                while try scalar("SELECT count() FROM system.mutations WHERE database = \(SQLLiteral.string(options.database))"
                    + " AND table = \(SQLLiteral.string(options.table)) AND is_done = 0") > 0 {
                    usleep(100_000)
                }
            }
            let versions = try AuditStoreReader.load(directory: options.auditDirectory)
                .filter { $0.sequence >= pending.first && $0.sequence <= pending.last }
            try insert(versions[...], queryID: pending.queryID)
            try commit(AuditExportCheckpoint.Pending(first: pending.first, last: pending.last, rows: UInt64(versions.count), queryID: pending.queryID))
            return
        }
        try commit(pending)
    }
}
