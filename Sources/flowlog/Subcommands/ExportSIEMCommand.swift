import ArgumentParser
import Atomics
import Dispatch
import FlowCore
import Query
import SIEMConfig
import SIEMExport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `flowlog export siem`: flows, audit versions and findings to the sinks of a configuration
/// file (Splunk HEC, Elasticsearch, syslog), once.
struct ExportSIEMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "siem",
        abstract: "Send flows, policy versions and findings to Splunk, Elasticsearch or syslog sinks.",
        discussion: """
            Reads what each sink of FILE has not yet received (flows from --data, versions from \
            --audit, findings of the reports archived under --data) into the sink's spool \
            (default DIR/exports/siem/NAME), then delivers the spool, and exits when every sink \
            has everything. A receiver that stays unreachable for the sink's retry-for (default \
            30s) ends that sink's run; what was read stays spooled and goes first next time. \
            --since/--until send only records in that window, read afresh, without moving the \
            sinks' cursors. The schema and each sink's wire format: docs/siem.md.

            Exit status: 0 everything delivered; 1 a sink's receiver unreachable or refusing \
            beyond its retry-for, or a store that cannot be read; 2 a configuration that does \
            not load; 64 a usage error.
            """
    )

    @Option(help: ArgumentHelp("The sinks (YAML; docs/siem.md).", valueName: "file"))
    var config: String

    @Option(help: ArgumentHelp("The store's data directory.", valueName: "dir"))
    var data: String

    @Option(help: ArgumentHelp("The audit store, for sinks whose records include audit.", valueName: "dir"))
    var audit: String?

    @Option(help: ArgumentHelp("Only records from this time on (RFC 3339, or a duration back from now like 2h).", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only records before this time (same forms as --since).", valueName: "time"))
    var until: String?

    func run() throws {
        let configuration: SIEMConfiguration
        do {
            configuration = try SIEMConfiguration.load(contentsOf: config)
        } catch let error as FlowlogError {
            Diagnostics.error(error.description)
            throw ExitStatus(error).exitCode
        }
        var window: TimeWindow?
        if since != nil || until != nil {
            do {
                window = try TimeWindow(since: since, until: until, now: wallClockNow())
            } catch let error as FlowlogError {
                let field = error.location?.field ?? "--since"
                throw ValidationError(error.message.hasPrefix(field) ? error.message : "\(field): \(error.message)")
            }
        }
        let needsAudit = configuration.sinks.contains { $0.records.contains(.audit) }
        let audit = self.audit ?? configuration.auditDirectory
        if needsAudit && audit == nil {
            Diagnostics.warning("a sink takes audit records but neither --audit DIR nor audit-directory was given; none are sent")
        }
        let stop = ManagedAtomic(false)
        // SIGTERM/SIGINT end the run between batches; spools and cursors are durable either way.
        let signals = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.store(true, ordering: .relaxed) }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        let run = SIEMExportRun(configuration: configuration,
                                sources: RecordSources(dataDirectory: data, auditDirectory: audit, window: window),
                                follow: false, stop: stop, log: { Diagnostics.note($0) })
        var failed = false
        for result in run.run() {
            let m = result.metrics
            var line = "siem: \(result.sink): \(m.sent) sent, \(m.failed) refused, \(m.retried) retried, \(m.dropped) dropped"
            if m.redelivered > 0 { line += ", \(m.redelivered) sent again after a restart" }
            if result.spooled > 0 { line += "; \(result.spooled) bytes left in the spool" }
            Diagnostics.note(line)
            if let failure = result.failure {
                Diagnostics.error("sink \(result.sink): \(failure)")
                failed = true
            }
        }
        if stop.load(ordering: .relaxed) { return }
        if failed { throw ExitStatus.failure.exitCode }
    }
}
