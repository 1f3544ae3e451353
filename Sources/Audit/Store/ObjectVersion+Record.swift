import FlowCore

extension ObjectVersion {
    /// The stored line, without its newline (layout in `AuditStoreFormat`).
    public var record: JSONValue {
        var members: [JSONMember] = [
            .init("sequence", .number(String(sequence))),
            .init("object_ref", .string(key.description)),
            .init("resource", .string(key.resource.resource)),
            .init("group", .string(key.resource.group)),
            .init("namespace", .string(key.namespace)),
            .init("name", .string(key.name)),
            .init("version", .number(String(version))),
            .init("verb", .string(verb)),
            .init("subresource", .string(subresource)),
            .init("time", .string(time.rfc3339)),
        ]
        if let received { members.append(.init("received", .string(received.rfc3339))) }
        members.append(.init("auditID", .string(auditID)))
        if let responseCode { members.append(.init("code", .number(String(responseCode)))) }
        members += [
            .init("user", .string(author.username)),
            .init("groups", .array(author.groups.map { .string($0) })),
            .init("sourceIP", .string(author.sourceIP)),
            .init("userAgent", .string(author.userAgent)),
            .init("node", .string(author.node)),
            .init("cause", .string(cause.description)),
            .init("resourceVersion", .string(resourceVersion)),
            .init("hash", .string(hash)),
            .init("previousHash", previousHash.map { .string($0) } ?? .null),
            .init("patch", patch ?? .null),
            .init("object", object ?? .null),
        ]
        return .object(members)
    }

    /// Reads a stored line back; throws naming the field at fault.
    public init(record json: JSONValue) throws(AuditEvent.Malformed) {
        func text(_ key: String) throws(AuditEvent.Malformed) -> String {
            guard let value = json[key]?.stringValue else { throw AuditEvent.Malformed(field: key, reason: "missing or not a string") }
            return value
        }
        func number(_ key: String) throws(AuditEvent.Malformed) -> Int64 {
            guard let value = json[key]?.integerValue, value >= 0 else {
                throw AuditEvent.Malformed(field: key, reason: "missing or not a non-negative integer")
            }
            return value
        }
        func time(_ key: String) throws(AuditEvent.Malformed) -> Timestamp {
            let value = try text(key)
            guard let stamp = Timestamp(rfc3339: value) else { throw AuditEvent.Malformed(field: key, reason: "not an RFC 3339 time") }
            return stamp
        }
        let resourceName = try text("resource"), group = try text("group")
        guard let resource = AuditedResource.find(resource: resourceName, group: group) else {
            throw AuditEvent.Malformed(field: "resource", reason: "'\(resourceName)' in '\(group)' is not a versioned kind")
        }
        sequence = UInt64(try number("sequence"))
        key = ObjectKey(resource: resource, namespace: try text("namespace"), name: try text("name"))
        let versionNumber = try number("version")
        guard versionNumber >= 1, versionNumber <= Int64(Int32.max) else {
            throw AuditEvent.Malformed(field: "version", reason: "out of range")
        }
        version = Int(versionNumber)
        verb = try text("verb")
        subresource = try text("subresource")
        self.time = try time("time")
        received = json["received"] == nil ? nil : try time("received")
        auditID = try text("auditID")
        if json["code"] != nil {
            let code = try number("code")
            guard code <= 999 else { throw AuditEvent.Malformed(field: "code", reason: "not an HTTP status code") }
            responseCode = Int(code)
        }
        author = AuditAuthor(username: try text("user"), groups: json["groups"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                             sourceIP: try text("sourceIP"), userAgent: try text("userAgent"), node: try text("node"))
        let causeText = try text("cause")
        guard let cause = Cause(text: causeText) else { throw AuditEvent.Malformed(field: "cause", reason: "'\(causeText)' is unknown") }
        self.cause = cause
        resourceVersion = try text("resourceVersion")
        hash = try text("hash")
        previousHash = json["previousHash"]?.stringValue
        patch = json["patch"].flatMap { $0 == .null ? nil : $0 }
        object = json["object"].flatMap { $0 == .null ? nil : $0 }
    }
}
