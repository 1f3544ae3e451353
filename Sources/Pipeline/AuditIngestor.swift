import Audit
import Dispatch
import FlowCore
import NIOCore

/// The agent's audit store behind one serial queue, shared by the webhook, the log follower
/// and manifest reloads: every write is synced before its caller hears back, and the open file
/// is sealed (and signed, with a recorder) by size and at least every `sealInterval`.
///
/// `@unchecked Sendable`: `store` and `lastSeal` are touched only on `queue`, a serial queue,
/// so no two threads ever use them at once.
public final class AuditIngestor: @unchecked Sendable {
    public let directory: String
    private let store: AuditStore
    private let queue = DispatchQueue(label: "flowlog.audit-ingest")
    private let sealInterval: Duration
    private var lastSeal = monotonicNanoseconds()

    public struct Outcome: Sendable {
        public var versions: Int
        public var skipped: Int
    }

    public init(directory: String, observer: (any SealObserver)?, sealInterval: Duration = .seconds(3600)) throws {
        self.directory = directory
        self.sealInterval = sealInterval
        store = try AuditStore(directory: directory, observer: observer)
    }

    /// A webhook body that is not an `EventList`, and why (the HTTP answer is 400 with it).
    public struct RejectedBody: Error, Sendable {
        public var reason: String
    }

    /// Parses a webhook body (`EventList` JSON) and stores its versions durably (written and
    /// synced) before returning, both on the ingest queue: a large body is parsed off the HTTP
    /// server's thread, which keeps answering scrapes meanwhile.
    ///
    /// - Throws: `RejectedBody` for a body that is not an `EventList`; the store's error when
    ///   writing fails.
    public func ingest(eventListBody body: ByteBuffer, maximumBytes: Int) async throws -> (events: Int, outcome: Outcome) {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                continuation.resume(with: Result {
                    let events = try Self.events(inBody: body, maximumBytes: maximumBytes)
                    return (events.count, try ingestOnQueue(events))
                })
            }
        }
    }

    static func events(inBody body: ByteBuffer, maximumBytes: Int) throws -> [AuditEvent] {
        do {
            let json = try body.withUnsafeReadableBytes { raw throws(JSONParser.Failure) in
                try JSONParser.parse(raw, limits: .init(maximumBytes: maximumBytes))
            }
            return try AuditEvent.events(inBody: json)
        } catch let failure as JSONParser.Failure {
            throw RejectedBody(reason: "not JSON at \(failure.line):\(failure.column): \(failure.reason)")
        } catch let malformed as AuditEvent.Malformed {
            throw RejectedBody(reason: "not an audit EventList: \(malformed)")
        }
    }

    /// The same, blocking the calling thread (the log follower's own thread).
    public func ingestWaiting(_ events: [AuditEvent]) throws -> Outcome {
        try queue.sync { try ingestOnQueue(events) }
    }

    private func ingestOnQueue(_ events: [AuditEvent]) throws -> Outcome {
        var outcome = Outcome(versions: 0, skipped: 0)
        for result in try store.ingest(events) {
            switch result {
            case .success(let versions): outcome.versions += versions.count
            case .failure: outcome.skipped += 1
            }
        }
        try store.sync()
        try sealIfDueOnQueue()
        return outcome
    }

    /// Records the objects the agent's manifests now hold as versions by `file:<path>`: changed
    /// ones as updates, new ones as creates, and objects a previous reload recorded from a file
    /// that are gone as deletes. Returns how many versions were made.
    @discardableResult
    public func recordManifests(_ objects: [(path: String, key: ObjectKey, object: JSONValue)], node: String) throws -> Int {
        try queue.sync {
            let now = wallClockNow()
            var made = 0
            var present = Set<ObjectKey>()
            for entry in objects {
                present.insert(entry.key)
                let author = AuditAuthor(username: "file:\(entry.path)", userAgent: "flowlog-agent", node: node)
                if try store.record(entry.key, object: entry.object, author: author, auditID: Self.reloadID(node, now, entry.key),
                                    time: now, cause: .manifestFile(entry.path)) != nil { made += 1 }
            }
            for (key, head) in store.builder.index.heads where head.object != nil && !present.contains(key) {
                guard case .manifestFile(let path) = head.cause else { continue }
                let author = AuditAuthor(username: "file:\(path)", userAgent: "flowlog-agent", node: node)
                if try store.record(key, object: nil, author: author, auditID: Self.reloadID(node, now, key), time: now,
                                    cause: .manifestFile(path)) != nil { made += 1 }
            }
            try store.sync()
            try sealIfDueOnQueue()
            return made
        }
    }

    static func reloadID(_ node: String, _ time: Timestamp, _ key: ObjectKey) -> String {
        "reload:\(node):\(time.nanoseconds):\(key)"
    }

    /// Seals the open file when it has been open `sealInterval` (the agent calls this on a timer).
    public func sealIfDue() throws {
        try queue.sync { try sealIfDueOnQueue() }
    }

    private func sealIfDueOnQueue() throws {
        let now = monotonicNanoseconds()
        guard store.hasOpenFile, now &- lastSeal >= UInt64(sealInterval.wholeNanoseconds) else { return }
        try store.seal()
        lastSeal = now
    }

    /// Seals the open file and releases the store.
    public func close() throws {
        try queue.sync { try store.close() }
    }
}
