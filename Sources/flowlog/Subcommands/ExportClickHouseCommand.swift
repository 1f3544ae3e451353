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

/// `flowlog export clickhouse`: every stored block into a ClickHouse table, exactly once.
struct ExportClickHouseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clickhouse",
        abstract: "Export the flows of a store to a ClickHouse table, exactly once across crashes.",
        discussion: """
            Sends every complete block not yet exported (with --follow, then each new block as \
            the writer adds it, until SIGTERM or SIGINT) as RowBinary INSERTs over HTTP. Progress \
            is kept in a checkpoint file (default: DIR/exports/clickhouse-HOST_PORT-DB.TABLE.checkpoint); \
            after a crash of the exporter or the server, the next run settles the batch that was \
            in flight so that every flow is in the table exactly once (docs/clickhouse.md). The \
            database and table are created when missing unless --no-create. FILTER (the query \
            language) limits what is exported; a checkpoint is tied to its filter.

            Exit status: 0 all exported (or stopped by a signal with --follow), 1 ClickHouse or \
            the store failed, 2 a bad option or filter.
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

    @Option(help: ArgumentHelp("Checkpoint file (default under DIR/exports).", valueName: "file"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("With --follow: how often to look for new blocks (e.g. 1s).", valueName: "duration"))
    var pollInterval = "1s"

    @Option(help: ArgumentHelp("Without --follow: how long to keep retrying while ClickHouse is unreachable (e.g. 1m).", valueName: "duration"))
    var retryFor = "30s"

    @Argument(help: "Only flows matching this filter (the query language; empty: every flow).")
    var filter: [String] = []

    func run() throws {
        let options: ClickHouseExportRun.Settings
        do {
            options = try settings()
        } catch let error as FlowlogError {
            fputs("error: \(error)\n", stderr)
            throw ExitCode(2)
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
            try ClickHouseExportRun(settings: options, stop: stop, log: { fputs($0 + "\n", stderr) }).run()
        } catch let error as FlowlogError where error.code == .invalidArgument || error.code == .parse {
            fputs("error: \(error)\n", stderr)
            throw ExitCode(2)
        } catch {
            fputs("error: \(error)\n", stderr)
            throw ExitCode(1)
        }
    }

    private func settings() throws -> ClickHouseExportRun.Settings {
        if passwordFile != nil && user == nil {
            throw FlowlogError(.invalidArgument, "--password-file needs --user", location: .init(field: "--password-file"))
        }
        let password = try passwordFile.map { try ClickHouseEndpoint.readPassword(file: $0) }
        var exporter = ClickHouseExporter.Options(storeDirectory: data)
        exporter.database = database
        exporter.table = table
        exporter.filterText = filter.joined(separator: " ")
        exporter.createTables = !noCreate
        exporter.batchRows = batchRows
        exporter.checkpointPath = checkpoint
        guard let poll = ConfigurationValue.duration(pollInterval), poll > .zero else {
            throw FlowlogError(.invalidArgument, "'\(pollInterval)' is not a duration such as 500ms, 1s or 1m", location: .init(field: "--poll-interval"))
        }
        guard let retry = ConfigurationValue.duration(retryFor) else {
            throw FlowlogError(.invalidArgument, "'\(retryFor)' is not a duration such as 30s or 5m", location: .init(field: "--retry-for"))
        }
        return ClickHouseExportRun.Settings(endpoint: try ClickHouseEndpoint(url: url, user: user, password: password),
                                            exporter: exporter, follow: follow, pollInterval: poll, retryFor: retry)
    }
}
