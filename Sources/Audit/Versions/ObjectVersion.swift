import FlowCore

/// One stored version of one object: what it became, who made the change and how, and the link
/// to the version before it.
///
/// A delete is a version too (`object` nil). A namespace delete also records a delete of every
/// namespaced object still in that namespace (`cause == .namespaceDeleted`), which audit logs
/// leave out because the API server removes them without a request of their own.
public struct ObjectVersion: Sendable, Hashable {
    /// Position in the whole store, from 1: ingest order.
    public var sequence: UInt64
    public var key: ObjectKey
    /// This object's version number, from 1.
    public var version: Int
    /// create, update, patch or delete.
    public var verb: String
    /// "status" for `pods/status` writes, else empty.
    public var subresource: String
    /// When the API server completed the request (`stageTimestamp`), or the reload time.
    public var time: Timestamp
    public var received: Timestamp?
    public var auditID: String
    public var responseCode: Int?
    public var author: AuditAuthor
    public var cause: Cause
    public var resourceVersion: String
    /// Hex SHA-256 of `object`'s compact JSON ("null" for a delete).
    public var hash: String
    /// `hash` of this object's previous version; nil for the first.
    public var previousHash: String?
    /// RFC 6902 operations turning the previous object into this one; nil when either side is
    /// absent (first version, delete, re-creation).
    public var patch: JSONValue?
    /// The object as the API server returned it, less `metadata.managedFields`; nil for deletes.
    public var object: JSONValue?

    public enum Cause: Sendable, Hashable, CustomStringConvertible {
        /// A Kubernetes audit event.
        case audit
        /// Deleted with its namespace, by the namespace's delete.
        case namespaceDeleted(String)
        /// The agent's manifest reload from this file.
        case manifestFile(String)

        public var description: String {
            switch self {
            case .audit: return "audit"
            case .namespaceDeleted(let namespace): return "namespace-delete:\(namespace)"
            case .manifestFile(let path): return "file:\(path)"
            }
        }

        init?(text: String) {
            if text == "audit" {
                self = .audit
            } else if text.hasPrefix("namespace-delete:") {
                self = .namespaceDeleted(String(text.dropFirst("namespace-delete:".count)))
            } else if text.hasPrefix("file:") {
                self = .manifestFile(String(text.dropFirst(5)))
            } else {
                return nil
            }
        }
    }

    public var isDelete: Bool { object == nil }
}
