import Logging
import ServiceLifecycle

/// Runs `work` at start and then every `interval` until the service group shuts down. A run
/// that throws is logged and the schedule goes on: one unreadable manifest must not end the
/// evidence a compliance auditor relies on.
public struct PeriodicTask: Service {
    let name: String
    let interval: Duration
    let logger: Logger
    let work: @Sendable () async throws -> Void

    public init(name: String, interval: Duration, logger: Logger, work: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.interval = interval
        self.logger = logger
        self.work = work
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await work()
            } catch {
                logger.error("\(name) failed; the next run is in \(interval)", metadata: ["error": "\(error)"])
            }
            // Sleeping ends early on shutdown; the loop condition then stops the task.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
