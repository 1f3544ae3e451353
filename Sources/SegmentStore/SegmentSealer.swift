#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization
import FlowCore

/// Finishes sealing on a background queue so the writer never waits for fsync, rename, manifest
/// rewrites or deletions: sync the file (every fsync policy syncs at seal), rename
/// `.seg.open` → `.seg`, sync the directory, record the segment in the manifest, then delete
/// whole sealed segments beyond the retention limits.
///
/// `@unchecked Sendable`: `manifest` is touched only on `queue`, and the figures the writer reads
/// are behind a `Mutex`; everything else is immutable.
final class SegmentSealer: @unchecked Sendable {
    private let directory: String
    private let configuration: StoreConfiguration
    private let observer: (any SealObserver)?
    private let queue = DispatchQueue(label: "flowlog.segment-sealer")
    /// Touched only on `queue`.
    private var manifest: Manifest
    /// Read by the writer without waiting for the queue.
    private let outcome = Mutex(Outcome())

    private struct Outcome {
        var sealed: UInt64 = 0
        var deleted: UInt64 = 0
        var failure: FlowlogError?
    }

    init(directory: String, configuration: StoreConfiguration, manifest: Manifest, observer: (any SealObserver)?) {
        self.directory = directory
        self.configuration = configuration
        self.manifest = manifest
        self.observer = observer
    }

    func seal(file: PosixFile, from openPath: String, to sealedPath: String, entry: Manifest.Entry) {
        queue.async { [self] in
            // Closed once only: a descriptor number closed twice may by then belong to a file or
            // socket another thread has just opened, which the second close would take from it.
            var open = true
            do {
                try file.sync()
                file.close()
                open = false
                try Directory.move(openPath, to: sealedPath)
                try Directory.sync(directory)
                manifest.entries.append(entry)
                try manifest.store(directory: directory, sync: true)
                outcome.withLock { $0.sealed += 1 }
                try observer?.sealed(SealedFile(name: entry.name, bytes: entry.bytes, oldest: entry.minStart, newest: entry.maxEnd),
                                     directory: directory)
                try applyRetention()
            } catch let error as FlowlogError {
                if open { file.close() }
                outcome.withLock { if $0.failure == nil { $0.failure = error } }
            } catch {
                if open { file.close() }
                // An observer's own error type: still the writer's to report, never dropped.
                let failure = FlowlogError(.io, "sealing \(entry.name): \(error)", location: .init(file: sealedPath))
                outcome.withLock { if $0.failure == nil { $0.failure = failure } }
            }
        }
    }

    /// Runs retention synchronously (at open, before the writer accepts flows).
    func applyRetentionNow() throws {
        try queue.sync { try applyRetention() }
    }

    /// Waits until every queued seal has finished.
    func drain() { queue.sync {} }

    func counts() -> (sealed: UInt64, deleted: UInt64) { outcome.withLock { ($0.sealed, $0.deleted) } }

    /// The first background failure, once.
    func takeError() -> FlowlogError? {
        outcome.withLock { $0.failure.take() }
    }

    /// Deletes the oldest sealed segments while the total is over the size limit, and every
    /// segment sealed longer ago than the age limit.
    private func applyRetention() throws {
        let now = Directory.now()
        var victims: [Manifest.Entry] = []
        var ordered = manifest.entries.sorted { $0.sequence < $1.sequence }
        if let maxAge = configuration.retentionMaxAge {
            let limit = UInt64(maxAge * 1e9)
            ordered.removeAll { entry in
                let old = now.nanoseconds > entry.sealedAt.nanoseconds && now.nanoseconds - entry.sealedAt.nanoseconds > limit
                if old { victims.append(entry) }
                return old
            }
        }
        if let maxBytes = configuration.retentionMaxBytes {
            var total = ordered.reduce(0) { $0 + $1.bytes }
            while total > UInt64(maxBytes), !ordered.isEmpty {
                let oldest = ordered.removeFirst()
                total -= oldest.bytes
                victims.append(oldest)
            }
        }
        guard !victims.isEmpty else { return }
        // Told before anything is deleted, so evidence never finds a file gone unannounced.
        try observer?.retiring(victims.map(\.name), directory: directory)
        // The manifest forgets them first, so a crash in between leaves files a reader never
        // selects through it, rather than manifest lines pointing at nothing.
        manifest.entries = ordered
        try manifest.store(directory: directory, sync: true)
        for victim in victims { try Directory.remove(directory + "/" + victim.name) }
        outcome.withLock { $0.deleted += UInt64(victims.count) }
    }
}
