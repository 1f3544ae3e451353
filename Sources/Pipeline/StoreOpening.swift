#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore
import Foundation
import SegmentStore
import Synchronization

/// A `SegmentWriter` opened on a thread of its own, so that opening the store (recovery,
/// retention, a synced manifest: mostly waiting for the disk) overlaps with other start-up
/// work, such as loading a cluster's manifests. `writer()` waits for it.
final class StoreOpening: Sendable {
    private let thread: BackgroundThread
    /// Set by the opening thread, read after joining it.
    private let outcome: Outcome
    private let directory: String
    /// The directory was not there before: abandoning the store removes it again.
    private let makesDirectory: Bool

    init(directory: String, configuration: StoreConfiguration, sealObserver: (any SealObserver)?) throws {
        self.directory = directory
        makesDirectory = access(directory, F_OK) != 0
        let outcome = Outcome()
        self.outcome = outcome
        do {
            thread = try BackgroundThread(name: "flowlog-store") {
                let opened = Result { try SegmentWriter(directory: directory, configuration: configuration, sealObserver: sealObserver) }
                outcome.result.withLock { $0 = opened }
            }
        } catch let failure as SystemCallError {
            throw FlowlogError(.libraryCall, "cannot start the store's opening thread: \(failure.message)", call: failure.call)
        }
    }

    /// The opened writer, or what opening it threw. Call once.
    func writer() throws -> SegmentWriter {
        thread.join()
        return try outcome.result.withLock { $0! }.get()
    }

    private final class Outcome: Sendable {
        let result = Mutex<Result<SegmentWriter, Error>?>(nil)
    }

    /// The store is not used after all (start-up failed elsewhere): the writer is closed, and a
    /// directory the opening made is removed, so the failure leaves no store behind.
    func abandon() {
        guard let writer = try? writer() else { return }
        try? writer.close()
        if makesDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }
}
