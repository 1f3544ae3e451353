#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Atomics
import ClickHouse
import Dispatch
import FlowCore
import Pipeline
import Query

/// `flowlog export clickhouse`: every stored block into a ClickHouse table, exactly once.
struct ExportClickHouseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clickhouse",
        abstract: "Export the flows of a store to a ClickHouse table, exactly once across crashes.",
        discussion: """
            Sends every complete block not yet exported (with --follow, then each new block as \
            the writer adds it, until SIGTERM or SIGINT) as Native (or RowBinary) INSERTs over HTTP. Progress \
            is kept in a checkpoint file (default: DIR/exports/clickhouse-HOST_PORT-DB.TABLE.checkpoint); \
            after a crash of the exporter or the server, the next run settles the batch that was \
            in flight so that every flow is in the table exactly once (docs/clickhouse.md). The \
            database and table are created when missing unless --no-create. FILTER (the query \
            language) limits what is exported; a checkpoint is tied to its filter. With --audit, \
            the versions an audit store holds (flowlog audit ingest) go to --audit-table in the \
            same passes, also exactly once (their checkpoint lives under the audit directory). \
            The compliance reports archived under DIR/reports (flowlog report, the agent's \
            scheduled reports) go to --report-table, exactly once, unless --no-reports.

            Exit status: 0 all exported (or, with --follow, stopped by SIGTERM or SIGINT); 1 \
            ClickHouse or the store failed (ClickHouse unreachable beyond --retry-for, or refusing); \
            2 a filter that does not parse or a damaged checkpoint; 64 a usage error.
            """
    )

    @Option(help: ArgumentHelp("The store's data directory.", valueName: "dir"))
    var data: String

    @Option(help: ArgumentHelp("ClickHouse HTTP interface, http://HOST:PORT.", valueName: "url"))
    var url: String

    @Option(help: ArgumentHelp("Database.", valueName: "name"))
    var database = "flowlog"

    @Option(help: ArgumentHelp("Table (on a cluster, the shard-local table).", valueName: "name"))
    var table = "flows"

    @Option(help: ArgumentHelp("ClickHouse user.", valueName: "name"))
    var user: String?

    @Option(help: ArgumentHelp("File whose first line is the user's password.", valueName: "file"))
    var passwordFile: String?

    @Flag(help: "Keep exporting new blocks until SIGTERM or SIGINT.")
    var follow = false

    @Flag(name: .customLong("no-create"), help: "Do not create the database and table.")
    var noCreate = false

    @Option(help: ArgumentHelp("Most rows per INSERT (1 to 1000000).", valueName: "n"))
    var batchRows = 100_000

    @Option(help: ArgumentHelp("Also export this audit store's versions (flowlog audit ingest) to --audit-table.", valueName: "dir"))
    var audit: String?

    @Option(help: ArgumentHelp("Table for the audit versions.", valueName: "name"))
    var auditTable = "audit_versions"

    @Option(help: ArgumentHelp("Table for the archived compliance reports' results.", valueName: "name"))
    var reportTable = "report_results"

    @Flag(name: .customLong("no-reports"), help: "Do not export the archived compliance reports.")
    var noReports = false

    @Option(help: ArgumentHelp("INSERT data format: native (faster for the server to ingest) or rowbinary.", valueName: "format"))
    var format = "native"

    @Option(help: ArgumentHelp("Checkpoint file (default under DIR/exports).", valueName: "file"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("With --follow: how often to look for new blocks (\(DurationText.examples)).", valueName: "duration"))
    var pollInterval = DurationArgument(.seconds(1))

    @Option(help: ArgumentHelp("Without --follow: how long to keep retrying while ClickHouse is unreachable.", valueName: "duration"))
    var retryFor = DurationArgument(.seconds(30))

    @Argument(help: "Only flows matching this filter (the query language; empty: every flow).")
    var filter: [String] = []

    func validate() throws {
        if passwordFile != nil && user == nil { throw ValidationError("--password-file needs --user") }
        if batchRows < 1 || batchRows > 1_000_000 { throw ValidationError("--batch-rows must be from 1 to 1000000, not \(batchRows)") }
        if !["native", "rowbinary"].contains(format) { throw ValidationError("--format must be native or rowbinary, not '\(format)'") }
        if pollInterval.duration <= .zero { throw ValidationError("--poll-interval must be positive") }
        for (option, name) in [("--database", database), ("--table", table), ("--audit-table", auditTable), ("--report-table", reportTable)] where !ClickHouseSchema.isPlainName(name) {
            throw ValidationError("\(option): '\(name)' is not a plain name (letters, digits, _; not starting with a digit)")
        }
        do {
            _ = try ClickHouseEndpoint(url: url)
        } catch let error as FlowlogError {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        let filterText = filter.joined(separator: " ")
        do {
            _ = try FilterProgram(parsing: filterText)
        } catch let error as FlowlogError {
            Diagnostics.write("flowlog: " + FilterDiagnostic.render(error, filter: filterText))
            throw ExitStatus.badInput.exitCode
        }
        let password = try passwordFile.map { try ClickHouseEndpoint.readPassword(file: $0) }
        var exporter = ClickHouseExporter.Options(storeDirectory: data)
        exporter.database = database
        exporter.table = table
        exporter.filterText = filterText
        exporter.createTables = !noCreate
        exporter.batchRows = batchRows
        exporter.format = format == "rowbinary" ? .rowBinary : .native
        exporter.checkpointPath = checkpoint
        var settings = ClickHouseExportRun.Settings(endpoint: try ClickHouseEndpoint(url: url, user: user, password: password),
                                                    exporter: exporter, follow: follow, pollInterval: pollInterval.duration,
                                                    retryFor: retryFor.duration)
        if let audit {
            var versions = AuditVersionExporter.Options(auditDirectory: audit)
            versions.database = database
            versions.table = auditTable
            versions.createTables = !noCreate
            settings.audit = versions
        }
        if !noReports {
            var reports = ReportResultExporter.Options(dataDirectory: data)
            reports.database = database
            reports.table = reportTable
            reports.createTables = !noCreate
            settings.reports = reports
        }
        // SIGTERM/SIGINT end a --follow run between batches (the checkpoint is durable either way).
        let stop = ManagedAtomic(false)
        let signals = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.store(true, ordering: .relaxed) }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        do {
            try ClickHouseExportRun(settings: settings, stop: stop, log: { Diagnostics.note($0) }).run()
        } catch let error as ClickHouseError {
            Diagnostics.error("\(error)")
            throw ExitStatus.failure.exitCode
        }
    }
}
