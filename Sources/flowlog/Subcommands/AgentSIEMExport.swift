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
/// hold a task executor's thread). It is shut down after the capture service (see `Agent`), so
/// at shutdown the sinks first send what capture stored last, for at most `shutdown-drain`, then
/// stop between batches; spools and cursors are durable, so a restart goes on where this one
/// stopped. Cancellation (the group failing) stops them at once.
struct AgentSIEMExport: Service {
    let export: SIEMExportRun
    let shutdownDrain: Duration

    /// nil when the configuration has no `export.siem` section; throws what is wrong in it
    /// with the file's line:column and the `export.siem.…` field.
    init?(_ configuration: AgentConfiguration, logger: Logger) throws {
        guard let section = configuration.export.siem else { return nil }
        let siem = try SIEMConfiguration.parse(yaml: section.text, file: section.file, section: ["export", "siem"])
        // Registered with the metrics system the agent bootstrapped: they appear on /metrics.
        export = SIEMExportRun(configuration: siem,
                            sources: RecordSources(dataDirectory: configuration.dataDirectory ?? ".", auditDirectory: siem.auditDirectory),
                            follow: true) { message in logger.info("\(message)") }
        shutdownDrain = siem.shutdownDrain
    }

    func run() async throws {
        let run = export
        let drain = shutdownDrain
        await withTaskCancellationHandler {
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
                run.drain(for: drain)
            }
        } onCancel: {
            run.stop.store(true, ordering: .relaxed)
        }
    }
}
