import Dispatch
import FlowCore
import Foundation
import Logging
import Policy
import Reports
import ServiceLifecycle

/// The agent's scheduled compliance reports: every `check-interval`, each GlobalReport with a
/// schedule (from `reports.specs` and among the cluster manifests) gets every interval that
/// ended `delay` ago and is not archived yet, into `DATA/reports/<id>/`, over the audit history
/// when the agent keeps one (`audit.directory`). The archive is the
/// record of what ran, so a restart, a suspended report resumed or a host woken from sleep
/// catches up on the next pass.
public struct ScheduledReports: Service {
    let configuration: AgentConfiguration
    let logger: Logger

    public init(configuration: AgentConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        guard let data = configuration.dataDirectory else { return }
        let settings = configuration.reports
        let networks = settings.privateNets.map { PrivateNetworks(prefixes: $0.compactMap(IPPrefix.init)) } ?? .standard
        let scheduler = ReportScheduler(dataDirectory: data, delay: settings.delay, privateNetworks: networks,
                                        cis: CISInput(clusterPaths: configuration.cluster.manifests))
        let said = Said()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // A pass reads manifests and scans the store: off the cooperative threads.
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    self.pass(scheduler, said: said)
                    done.resume()
                }
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.checkInterval) }
            } catch {
                return
            }
        }
    }

    /// Problems already logged, so a report that cannot run is said once, not every minute,
    /// and the specs as last read (`ReportSpecCache`).
    final class Said: @unchecked Sendable {
        // Only the pass running on the dispatch queue touches it, one pass at a time (the loop awaits each).
        var messages: Set<String> = []
        var specs = ReportSpecCache()
        func first(_ message: String) -> Bool { messages.insert(message).inserted }
    }

    /// The policy state reports read. With an audit directory, the agent's version history (its
    /// own manifest loads and the API server's events): every state over an interval, even one
    /// caught up after downtime, and the policy changes policy-audit counts. Without one, or
    /// before the history holds anything, the manifests as they are now (a single point in
    /// time, as the reports say). A history that cannot be read fails the pass (retried on the
    /// next) rather than quietly reporting from the manifests.
    static func stateSource(_ configuration: AgentConfiguration) throws -> PolicyStateSource {
        let manifests = configuration.cluster.manifests
        if let audit = configuration.audit.directory, FileManager.default.fileExists(atPath: audit) {
            let history = try AuditStateSource(directory: audit)
            if !history.history.versions.isEmpty { return history }
        }
        return ManifestStateSource(cluster: try ClusterLoader.load(paths: manifests), paths: manifests)
    }

    func pass(_ scheduler: ReportScheduler, said: Said) {
        let manifests = configuration.cluster.manifests
        let (specs, errors) = said.specs.load(paths: configuration.reports.specs + manifests)
        for error in errors where said.first("\(error)") {
            logger.error("report spec not scheduled", metadata: ["error": "\(error)"])
        }
        guard !specs.isEmpty else { return }
        do {
            let outcome = try scheduler.runDue(specs, now: ReportScheduler.now()) { try Self.stateSource(configuration) }
            for id in outcome.written { logger.info("report written", metadata: ["id": "\(id)"]) }
            for (name, reason) in outcome.skipped where said.first("\(name): \(reason)") {
                logger.warning("scheduled report skipped", metadata: ["report": "\(name)", "reason": "\(reason)"])
            }
            for (name, error) in outcome.failures {
                logger.error("scheduled report failed; retried on the next pass", metadata: ["report": "\(name)", "error": "\(error)"])
            }
        } catch {
            logger.error("report archive unusable", metadata: ["error": "\(error)"])
        }
    }
}
