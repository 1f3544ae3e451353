#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization
import FlowCore

/// Finishes sealing on a background queue so the writer never waits for fsync, rename, manifest
/// rewrites or deletions: sync the file (every fsync policy syncs at seal) and the manifest
/// that lists it, rename `.seg.open` → `.seg` and the manifest into place, sync the directory,
/// then delete whole sealed segments beyond the retention limits.
///
/// `@unchecked Sendable`: `manifest` is touched only on `queue`, and the figures the writer reads
/// are behind a `Mutex`; everything else is immutable.
final class SegmentSealer: @unchecked Sendable {
    private let directory: String
    private let configuration: StoreConfiguration
    private let observer: (any SealObserver)?
    private let queue = DispatchQueue(label: "flowlog.segment-sealer")
    /// The manifest's sync while `queue` syncs the segment (see `seal`).
    private let secondSync = DispatchQueue(label: "flowlog.segment-sealer.manifest")
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

    /// Seals a segment whose index and footer are written: its bytes and the manifest that
    /// lists it are synced at the same time, then both are renamed into place (the segment
    /// first) and the directory is synced once.
    ///
    /// Why the guarantee is the one the one-at-a-time order gave (sync the file, rename it, sync
    /// the directory, write and sync the manifest, rename it, sync the directory again): when
    /// `drain` returns, the segment's bytes, its sealed name and a manifest listing it are on
    /// stable storage either way. Before that, no name is renamed into place until both files'
    /// bytes are synced, so a name that reaches the disk never points at bytes that did not.
    /// The two renames may reach the disk in either order until the directory's sync, and
    /// recovery finishes each state a crash can leave: neither (the `.seg.open` file holds its
    /// footer, so recovery renames it and the manifest is reconciled with it), the segment's
    /// alone (reconciliation adds it to the manifest), the manifest's alone (recovery renames
    /// the footed `.seg.open` first, after which the manifest's line names a file that is
    /// there; `CrashRecoveryTests` covers this state, which the old order could not leave).
    /// Live readers list the directory, not the manifest, and see the renames in this order.
    /// The two syncs in flight together wait for the disk about once (a journaling file system
    /// commits them in one transaction) where the old order waited four times in a row, after
    /// the replay's last block with both cores idle.
    func seal(file: PosixFile, from openPath: String, to sealedPath: String, entry: Manifest.Entry) {
        queue.async { [self] in
            // Closed once only: a descriptor number closed twice may by then belong to a file or
            // socket another thread has just opened, which the second close would take from it.
            var open = true
            var pendingManifest: PosixFile?
            do {
                var next = manifest
                next.entries.append(entry)
                let temporary = try next.writeTemporary(directory: directory)
                pendingManifest = temporary
                try syncTogether(file, temporary)
                file.close()
                open = false
                temporary.close()
                pendingManifest = nil
                try Directory.move(openPath, to: sealedPath)
                // The file is sealed under its name from here: later manifests list it.
                manifest = next
                try Manifest.install(directory: directory)
                try Directory.sync(directory)
                outcome.withLock { $0.sealed += 1 }
                try observer?.sealed(SealedFile(name: entry.name, bytes: entry.bytes, oldest: entry.minStart, newest: entry.maxEnd),
                                     directory: directory)
                try applyRetention()
            } catch let error as FlowlogError {
                if open { file.close() }
                pendingManifest?.close()
                outcome.withLock { if $0.failure == nil { $0.failure = error } }
            } catch {
                if open { file.close() }
                pendingManifest?.close()
                // An observer's own error type: still the writer's to report, never dropped.
                let failure = FlowlogError(.io, "sealing \(entry.name): \(error)", location: .init(file: sealedPath))
                outcome.withLock { if $0.failure == nil { $0.failure = failure } }
            }
        }
    }

    /// Syncs `first` on this thread and `second` on `secondSync` at the same time; throws the
    /// first's error, else the second's.
    private func syncTogether(_ first: PosixFile, _ second: PosixFile) throws {
        let group = DispatchGroup()
        let secondOutcome = SyncOutcome()
        secondSync.async(group: group) {
            do { try second.sync() } catch { secondOutcome.failure.withLock { $0 = error } }
        }
        let firstOutcome = Result { try first.sync() }
        group.wait()
        try firstOutcome.get()
        if let error = secondOutcome.failure.withLock({ $0 }) { throw error }
    }

    private final class SyncOutcome: Sendable {
        let failure = Mutex<(any Error)?>(nil)
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
