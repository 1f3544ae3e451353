import Crypto
import FlowCore

/// Turns audit events into versions: the rules of what is a change, in one place.
///
/// Kept: create, update, patch, delete (and deletecollection) at stage `ResponseComplete` with a
/// 2xx status, not a dry run, for an `AuditedResource`, on the object itself or its `status`
/// subresource. The object of record is `responseObject`, or `requestObject` for create and
/// update when the response was not recorded. An event whose object's resourceVersion is older
/// than the stored one is stale and skipped (Calico's replay does the same); one that changes
/// nothing is skipped too.
public struct VersionBuilder: Sendable {
    public private(set) var index: VersionIndex

    /// Why an event produced no version; ingest reports the counts.
    public enum Skip: String, Sendable, CaseIterable, CustomStringConvertible {
        case stage = "stage other than ResponseComplete"
        case readOnly = "read-only verb"
        case kind = "kind not versioned"
        case subresource = "subresource other than status"
        case failed = "request failed (status not 2xx)"
        case dryRun = "dry run"
        case duplicate = "audit ID already stored"
        case noObject = "no object recorded (audit level below RequestResponse)"
        case stale = "resourceVersion older than the stored version"
        case unchanged = "object unchanged"
        public var description: String { rawValue }
    }

    public init(index: VersionIndex = VersionIndex()) {
        self.index = index
    }

    static let writeVerbs: Set<String> = ["create", "update", "patch", "delete", "deletecollection"]

    /// The versions one event makes (a namespace delete makes several), already recorded in the
    /// index; or why it makes none.
    public mutating func versions(for event: AuditEvent) -> Result<[ObjectVersion], SkipError> {
        guard event.stage == "ResponseComplete" else { return .failure(SkipError(.stage)) }
        guard Self.writeVerbs.contains(event.verb) else { return .failure(SkipError(.readOnly)) }
        guard let reference = event.objectRef,
              let resource = AuditedResource.find(resource: reference.resource, group: reference.apiGroup) else {
            return .failure(SkipError(.kind))
        }
        guard reference.subresource.isEmpty || reference.subresource == "status" else { return .failure(SkipError(.subresource)) }
        guard let code = event.responseCode, (200..<300).contains(code) else { return .failure(SkipError(.failed)) }
        guard !event.isDryRun else { return .failure(SkipError(.dryRun)) }
        guard !index.auditIDs.contains(event.auditID) else { return .failure(SkipError(.duplicate)) }
        let time = event.stageTime ?? event.requestReceived ?? .zero
        var made: [ObjectVersion] = []
        if event.verb == "deletecollection" {
            for item in event.responseObject?["items"]?.arrayValue ?? [] {
                guard let name = item.value(at: "metadata.name")?.stringValue else { continue }
                let namespace = item.value(at: "metadata.namespace")?.stringValue ?? reference.namespace
                let key = ObjectKey(resource: resource, namespace: namespace, name: name)
                if let version = change(key, to: nil, resourceVersion: Self.resourceVersion(of: item), event: event, time: time, cause: .audit) {
                    made.append(version)
                }
            }
            return made.isEmpty ? .failure(SkipError(.unchanged)) : .success(made)
        }
        let object: JSONValue?
        if event.verb == "delete" {
            object = nil
        } else if let response = event.responseObject, Self.isObject(response) {
            object = response
        } else if event.verb == "create" || event.verb == "update", let request = event.requestObject, Self.isObject(request) {
            object = request
        } else {
            return .failure(SkipError(.noObject))
        }
        let name = reference.name.isEmpty ? object?.value(at: "metadata.name")?.stringValue ?? "" : reference.name
        let namespace = reference.namespace.isEmpty ? object?.value(at: "metadata.namespace")?.stringValue ?? "" : reference.namespace
        guard !name.isEmpty else { return .failure(SkipError(.noObject)) }
        let key = ObjectKey(resource: resource, namespace: namespace, name: name)
        let rvSource = object ?? event.responseObject
        let resourceVersion = rvSource.flatMap(Self.resourceVersion(of:)) ?? reference.resourceVersion
        if let stored = index.heads[key]?.resourceVersion, let incoming = Int64(resourceVersion), incoming < stored {
            return .failure(SkipError(.stale))
        }
        guard let version = change(key, to: object.map(Self.normalized), resourceVersion: resourceVersion, event: event,
                                   time: time, cause: .audit) else {
            return .failure(SkipError(.unchanged))
        }
        made.append(version)
        if resource.resource == "namespaces" && resource.group.isEmpty && event.verb == "delete" {
            for child in index.liveObjects(inNamespace: name) {
                if let cascade = change(child, to: nil, resourceVersion: "", event: event, time: time, cause: .namespaceDeleted(name)) {
                    made.append(cascade)
                }
            }
        }
        return .success(made)
    }

    /// Records `object` (nil: deleted) as the next version of `key` when it differs from the
    /// stored one.
    public mutating func change(_ key: ObjectKey, to object: JSONValue?, resourceVersion: String, author: AuditAuthor,
                                verb: String, auditID: String, time: Timestamp, cause: ObjectVersion.Cause) -> ObjectVersion? {
        let head = index.heads[key]
        var text: [UInt8] = []
        if let object { object.encode(into: &text) } else { text = Array("null".utf8) }
        let hash = Self.sha256Hex(bytes: text)
        if let head, head.hash == hash { return nil }
        if head == nil && object == nil && verb != "delete" { return nil }
        var patch: JSONValue?
        if let before = head?.object, let object { patch = JSONPatch.difference(from: before, to: object) }
        // A delete without a resourceVersion of its own (a cascade, a Status reply) keeps the
        // object's last one, so older events for it stay stale when a log is read again.
        let resourceVersion = resourceVersion.isEmpty ? head?.resourceVersion.map(String.init) ?? "" : resourceVersion
        let version = ObjectVersion(
            sequence: index.nextSequence, key: key, version: (head?.version ?? 0) + 1, verb: verb, subresource: "",
            time: time, received: nil, auditID: auditID, responseCode: nil, author: author, cause: cause,
            resourceVersion: resourceVersion, hash: hash, previousHash: head?.hash, patch: patch, object: object)
        index.record(version)
        return version
    }

    private mutating func change(_ key: ObjectKey, to object: JSONValue?, resourceVersion: String?, event: AuditEvent,
                                 time: Timestamp, cause: ObjectVersion.Cause) -> ObjectVersion? {
        guard var version = change(key, to: object, resourceVersion: resourceVersion ?? "", author: event.user,
                                   verb: event.verb == "deletecollection" ? "delete" : event.verb, auditID: event.auditID,
                                   time: time, cause: cause) else { return nil }
        version.subresource = cause == .audit ? event.objectRef?.subresource ?? "" : ""
        version.received = event.requestReceived
        version.responseCode = event.responseCode
        index.record(version)
        return version
    }

    /// A Kubernetes object rather than a `Status` reply (what deletes often return).
    static func isObject(_ value: JSONValue) -> Bool {
        guard case .object = value else { return false }
        return value["kind"]?.stringValue != "Status" && value["metadata"] != nil
    }

    static func resourceVersion(of object: JSONValue) -> String? {
        object.value(at: "metadata.resourceVersion")?.stringValue
    }

    /// The object less `metadata.managedFields`: field ownership bookkeeping that changes on
    /// every write and is not part of what the object says.
    static func normalized(_ object: JSONValue) -> JSONValue {
        guard let metadata = object["metadata"], metadata["managedFields"] != nil else { return object }
        return object.setting("metadata", to: metadata.removing("managedFields"))
    }

    public static func sha256Hex(_ text: String) -> String { sha256Hex(bytes: Array(text.utf8)) }

    static func sha256Hex(bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}

/// `VersionBuilder.Skip` as an error, for `Result`.
public struct SkipError: Error, Sendable {
    public var reason: VersionBuilder.Skip
    init(_ reason: VersionBuilder.Skip) { self.reason = reason }
}
