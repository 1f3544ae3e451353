import Atomics
import ClickHouse
import FlowCore
import Foundation
import Logging
import Pipeline
import ServiceLifecycle

/// The agent's `export.clickhouse` section: `flowlog export clickhouse --follow` on its own
/// thread beside the capture pipeline (the exporter blocks on HTTP and disk; it must not hold
/// a task executor's thread). It is shut down after the capture service (see `Agent`), so at
/// shutdown it exports what capture stored last, for at most `shutdown-drain`; cancellation
/// stops it at once.
struct AgentClickHouseExport: Service {
    var settings: ClickHouseExportRun.Settings
    let metrics: ExportMetrics
    let logger: Logger
    let shutdownDrain: Duration

    /// nil when the configuration has no `export.clickhouse` section.
    init?(_ configuration: AgentConfiguration, logger: Logger) throws {
        guard let section = configuration.export.clickhouse else { return nil }
        let password = try section.passwordFile.map { try ClickHouseEndpoint.readPassword(file: $0) }
        var options = ClickHouseExporter.Options(storeDirectory: configuration.dataDirectory ?? ".")
        options.database = section.database
        options.table = section.table
        options.filterText = section.filter
        options.batchRows = section.batchRows
        options.format = section.format == "rowbinary" ? .rowBinary : .native
        options.createTables = section.create
        options.checkpointPath = section.checkpoint
        settings = ClickHouseExportRun.Settings(endpoint: try ClickHouseEndpoint(url: section.url, user: section.user, password: password),
                                                exporter: options, follow: true, pollInterval: section.pollInterval)
        // The versions the agent records (audit.directory) go beside the flows.
        if let audit = configuration.audit.directory {
            var versions = AuditVersionExporter.Options(auditDirectory: audit)
            versions.database = section.database
            versions.table = section.auditTable
            versions.createTables = section.create
            settings.audit = versions
        }
        // The reports the agent archives (reports.specs) go beside them too.
        if section.reports {
            var reports = ReportResultExporter.Options(dataDirectory: configuration.dataDirectory ?? ".")
            reports.database = section.database
            reports.table = section.reportTable
            reports.createTables = section.create
            settings.reports = reports
        }
        // Registered with the metrics system the agent bootstrapped: they appear on /metrics.
        metrics = ExportMetrics()
        self.logger = logger
        shutdownDrain = section.shutdownDrain
    }

    func run() async throws {
        let stop = ManagedAtomic(false)
        let drain = shutdownDrain
        let run = ClickHouseExportRun(settings: settings, metrics: metrics, stop: stop) { [logger] message in
            logger.info("\(message)")
        }
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                    let thread = Thread {
                        do {
                            try run.run()
                            continuation.resume()
                        } catch {
                            continuation.resume(throwing: error)
                        }
                    }
                    thread.name = "clickhouse-export"
                    thread.start()
                }
            } onGracefulShutdown: {
                run.drain(for: drain)
            }
        } onCancel: {
            stop.store(true, ordering: .relaxed)
        }
    }
}
