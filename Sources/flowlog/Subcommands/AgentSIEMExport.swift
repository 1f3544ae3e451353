import Atomics
import FlowCore
import Foundation
import Logging
import Pipeline
import SIEMConfig
import SIEMExport
import ServiceLifecycle

/// The agent's `export.siem` section: `flowlog export siem` following the store as the agent
/// writes it, each sink on its own thread (the sinks block on network and disk; they must not
/// hold a task executor's thread). Graceful shutdown stops them between batches; spools and
/// cursors are durable, so a restart goes on where this one stopped.
struct AgentSIEMExport: Service {
    let export: SIEMExportRun

    /// nil when the configuration has no `export.siem` section; throws what is wrong in it
    /// with the file's line:column and the `export.siem.…` field.
    init?(_ configuration: AgentConfiguration, logger: Logger) throws {
        guard let section = configuration.export.siem else { return nil }
        let siem = try SIEMConfiguration.parse(yaml: section.text, file: section.file, section: ["export", "siem"])
        // Registered with the metrics system the agent bootstrapped: they appear on /metrics.
        export = SIEMExportRun(configuration: siem,
                            sources: RecordSources(dataDirectory: configuration.dataDirectory ?? ".", auditDirectory: siem.auditDirectory),
                            follow: true) { message in logger.info("\(message)") }
    }

    func run() async throws {
        let run = export
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    _ = run.run()
                    continuation.resume()
                }
                thread.name = "siem-export"
                thread.start()
            }
        } onGracefulShutdown: {
            run.stop.store(true, ordering: .relaxed)
        }
    }
}
