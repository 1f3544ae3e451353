import FlowCore

/// Appends versions to an audit directory (layout in `AuditStoreFormat`): one writer at a time,
/// lines appended to the open file, which is sealed by size, by `seal()`, and at `close()`.
///
/// Opening recovers from a crash: a torn last line of the open file is cut off, so everything
/// written whole survives and ingest can carry on (audit IDs already stored are skipped).
public final class AuditStore {
    public let directory: String
    /// The open file is sealed once it reaches this size.
    public let sealAfterBytes: UInt64
    public private(set) var builder: VersionBuilder
    private let observer: (any SealObserver)?
    private let lockDescriptor: Int32
    private var open: AuditAppendFile?
    private var openSequence: UInt64
    private var openRange: (oldest: Timestamp, newest: Timestamp)?
    private var closed = false

    public init(directory: String, sealAfterBytes: UInt64 = 16 << 20, observer: (any SealObserver)? = nil) throws {
        self.directory = directory
        self.sealAfterBytes = sealAfterBytes
        self.observer = observer
        try AuditFileSystem.createDirectory(directory)
        lockDescriptor = try AuditFileSystem.lock(directory)
        do {
            var index = VersionIndex()
            var highest: UInt64 = 0
            var openFile: (name: String, sequence: UInt64)?
            for (name, isOpen) in try AuditStoreReader.files(in: directory) {
                let sequence = AuditStoreFormat.parseFileName(name)?.sequence ?? 0
                highest = max(highest, sequence)
                let contents = try AuditStoreReader.read(directory + "/" + name, open: isOpen)
                for version in contents.versions { index.record(version) }
                if isOpen {
                    let file = try AuditAppendFile(path: directory + "/" + name)
                    if file.size > contents.completeBytes { try file.truncate(to: contents.completeBytes) }
                    open = file
                    openFile = (name, sequence)
                    openRange = Self.range(of: contents.versions)
                }
            }
            openSequence = openFile?.sequence ?? highest + 1
            builder = VersionBuilder(index: index)
            try observer?.storeOpened(directory: directory)
        } catch {
            AuditFileSystem.unlock(lockDescriptor)
            throw error
        }
    }

    deinit {
        if !closed { try? close() }
    }

    private static func range(of versions: [ObjectVersion]) -> (oldest: Timestamp, newest: Timestamp)? {
        guard let first = versions.first else { return nil }
        return versions.reduce((first.time, first.time)) { (min($0.0, $1.time), max($0.1, $1.time)) }
    }

    /// Makes and appends the versions of `events`; returns what happened to each.
    public func ingest(_ events: [AuditEvent]) throws -> [Result<[ObjectVersion], SkipError>] {
        var outcomes: [Result<[ObjectVersion], SkipError>] = []
        outcomes.reserveCapacity(events.count)
        var made: [ObjectVersion] = []
        for event in events {
            let outcome = builder.versions(for: event)
            if case .success(let versions) = outcome { made += versions }
            outcomes.append(outcome)
        }
        try append(made)
        return outcomes
    }

    /// Records `object` (nil: gone) as the next version of `key` if it changed (manifest reloads).
    @discardableResult
    public func record(_ key: ObjectKey, object: JSONValue?, author: AuditAuthor, auditID: String, time: Timestamp,
                       cause: ObjectVersion.Cause) throws -> ObjectVersion? {
        let verb = object == nil ? "delete" : builder.index.heads[key]?.object == nil ? "create" : "update"
        let resourceVersion = object?.value(at: "metadata.resourceVersion")?.stringValue ?? ""
        guard let version = builder.change(key, to: object.map(VersionBuilder.normalized), resourceVersion: resourceVersion,
                                           author: author, verb: verb, auditID: auditID, time: time, cause: cause) else { return nil }
        try append([version])
        return version
    }

    /// Writes versions already numbered by `builder`, sealing by size afterwards.
    private func append(_ versions: [ObjectVersion]) throws {
        guard !versions.isEmpty else { return }
        try checkUsable()
        if open == nil {
            open = try AuditAppendFile(path: directory + "/" + AuditStoreFormat.fileName(sequence: openSequence, open: true))
            try AuditFileSystem.syncDirectory(directory)
        }
        var text = ""
        for version in versions {
            version.record.write(into: &text)
            text += "\n"
            openRange = openRange.map { (min($0.oldest, version.time), max($0.newest, version.time)) } ?? (version.time, version.time)
        }
        try open!.append(Array(text.utf8))
        if open!.size >= sealAfterBytes { try seal() }
    }

    /// Forces every appended version to disk: a webhook request is acknowledged only after this.
    public func sync() throws {
        try open?.sync()
    }

    /// True when versions wait in the open file.
    public var hasOpenFile: Bool { open != nil }

    /// Seals the open file (sync, rename to its final name, sync the directory), then tells the
    /// observer. Nothing to do when no file is open.
    public func seal() throws {
        guard let file = open else { return }
        try file.sync()
        let name = AuditStoreFormat.fileName(sequence: openSequence, open: false)
        try AuditFileSystem.rename(file.path, to: directory + "/" + name)
        try AuditFileSystem.syncDirectory(directory)
        let range = openRange ?? (.zero, .zero)
        open = nil
        openRange = nil
        openSequence += 1
        try observer?.sealed(SealedFile(name: name, bytes: file.size, oldest: range.oldest, newest: range.newest), directory: directory)
    }

    /// Seals the open file and releases the directory.
    public func close() throws {
        guard !closed else { return }
        defer {
            closed = true
            AuditFileSystem.unlock(lockDescriptor)
        }
        try seal()
    }

    private func checkUsable() throws {
        guard !closed else { throw FlowlogError(.invalidArgument, "audit store is closed", location: .init(file: directory)) }
    }
}
