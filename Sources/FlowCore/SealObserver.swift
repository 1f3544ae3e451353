/// A file a store has sealed: complete, never to be written again.
public struct SealedFile: Sendable, Hashable {
    /// The name inside the store directory (`000000000042.seg`, `versions-000000000003.ndjson`).
    public var name: String
    public var bytes: UInt64
    /// The oldest and newest event times the file holds (flow start/end, version times).
    public var oldest: Timestamp
    public var newest: Timestamp

    public init(name: String, bytes: UInt64, oldest: Timestamp, newest: Timestamp) {
        self.name = name
        self.bytes = bytes
        self.oldest = oldest
        self.newest = newest
    }
}

/// Told by a store when files become immutable and before they are retired, so that a
/// tamper-evidence recorder can hash and sign them. The stores know this interface only: they
/// never learn about hashes, keys or signatures.
///
/// Calls come from the store's sealing thread, one at a time, in sealing order. A throw fails
/// the seal like an I/O error would (the store reports it; the file stays sealed).
public protocol SealObserver: AnyObject, Sendable {
    /// The store directory was opened and recovered: files may have been sealed while nobody
    /// was listening (a crash between sealing and the notice), so the observer may look.
    func storeOpened(directory: String) throws
    /// `file` was sealed (synced and renamed to its final name).
    func sealed(_ file: SealedFile, directory: String) throws
    /// These sealed files are about to be deleted by retention.
    func retiring(_ names: [String], directory: String) throws
}
