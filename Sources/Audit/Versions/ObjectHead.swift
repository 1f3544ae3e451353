import FlowCore

/// The newest stored version of each object, and every audit ID already stored: what ingest
/// needs to number, link and deduplicate the next versions.
public struct VersionIndex: Sendable {
    /// The latest version of one object.
    public struct Head: Sendable {
        public var version: Int
        public var hash: String
        /// The object's `metadata.resourceVersion` as a number, when it is one.
        public var resourceVersion: Int64?
        /// nil once deleted.
        public var object: JSONValue?
        public var cause: ObjectVersion.Cause
    }

    public private(set) var heads: [ObjectKey: Head] = [:]
    public private(set) var auditIDs: Set<String> = []
    /// The next version's store-wide sequence number.
    public private(set) var nextSequence: UInt64 = 1

    public init() {}

    public mutating func record(_ version: ObjectVersion) {
        auditIDs.insert(version.auditID)
        heads[version.key] = Head(version: version.version, hash: version.hash,
                                  resourceVersion: Int64(version.resourceVersion), object: version.object, cause: version.cause)
        if version.sequence >= nextSequence { nextSequence = version.sequence + 1 }
    }

    /// Objects alive now in `namespace`, for a namespace delete's cascade.
    func liveObjects(inNamespace namespace: String) -> [ObjectKey] {
        heads.compactMap { key, head in
            key.resource.namespaced && key.namespace == namespace && head.object != nil ? key : nil
        }.sorted()
    }
}
