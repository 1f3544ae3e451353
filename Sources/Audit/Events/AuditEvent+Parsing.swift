import FlowCore

extension AuditEvent {
    /// Why an event could not be read, naming the field.
    public struct Malformed: Error, Sendable, CustomStringConvertible {
        public var field: String
        public var reason: String
        public var description: String { "\(field): \(reason)" }
    }

    /// Reads an `Event` object. Only what versions need is required: `auditID`, `stage`, `verb`;
    /// everything else may be absent (and usually is below the RequestResponse level).
    public init(json: JSONValue) throws(Malformed) {
        guard case .object = json else { throw Malformed(field: "(event)", reason: "not a JSON object") }
        if let kind = json["kind"]?.stringValue, kind != "Event" {
            throw Malformed(field: "kind", reason: "'\(kind)' is not an audit Event")
        }
        func text(_ key: String, required: Bool = false) throws(Malformed) -> String {
            guard let value = json[key], value != .null else {
                if required { throw Malformed(field: key, reason: "missing") }
                return ""
            }
            guard let text = value.stringValue else { throw Malformed(field: key, reason: "not a string") }
            return text
        }
        func time(_ key: String) throws(Malformed) -> Timestamp? {
            let value = try text(key)
            guard !value.isEmpty else { return nil }
            guard let stamp = Timestamp(rfc3339: value) else {
                throw Malformed(field: key, reason: "'\(value)' is not an RFC 3339 time")
            }
            return stamp
        }
        auditID = try text("auditID", required: true)
        guard !auditID.isEmpty, auditID.utf8.count <= 256 else {
            throw Malformed(field: "auditID", reason: auditID.isEmpty ? "empty" : "longer than 256 bytes")
        }
        level = try text("level")
        stage = try text("stage", required: true)
        verb = try text("verb", required: true)
        requestURI = try text("requestURI")
        user = try Self.author(json)
        objectRef = try Self.objectReference(json["objectRef"])
        if let status = json["responseStatus"], status != .null {
            guard case .object = status else { throw Malformed(field: "responseStatus", reason: "not an object") }
            if let code = status["code"], code != .null {
                guard let value = code.integerValue, (0...999).contains(value) else {
                    throw Malformed(field: "responseStatus.code", reason: "not an HTTP status code")
                }
                responseCode = Int(value)
            }
        }
        requestObject = json["requestObject"].flatMap { $0 == .null ? nil : $0 }
        responseObject = json["responseObject"].flatMap { $0 == .null ? nil : $0 }
        requestReceived = try time("requestReceivedTimestamp")
        stageTime = try time("stageTimestamp")
    }

    private static func author(_ json: JSONValue) throws(Malformed) -> AuditAuthor {
        var author = AuditAuthor(username: "")
        if let user = json["user"], user != .null {
            guard case .object = user else { throw Malformed(field: "user", reason: "not an object") }
            author.username = user["username"]?.stringValue ?? ""
            if let groups = user["groups"], groups != .null {
                guard let items = groups.arrayValue else { throw Malformed(field: "user.groups", reason: "not an array") }
                author.groups = items.compactMap(\.stringValue)
            }
        }
        if let addresses = json["sourceIPs"]?.arrayValue { author.sourceIP = addresses.last?.stringValue ?? "" }
        author.userAgent = json["userAgent"]?.stringValue ?? ""
        return author
    }

    private static func objectReference(_ value: JSONValue?) throws(Malformed) -> ObjectReference? {
        guard let value, value != .null else { return nil }
        guard case .object = value else { throw Malformed(field: "objectRef", reason: "not an object") }
        func field(_ key: String) throws(Malformed) -> String {
            guard let member = value[key], member != .null else { return "" }
            guard let text = member.stringValue else { throw Malformed(field: "objectRef.\(key)", reason: "not a string") }
            return text
        }
        return ObjectReference(resource: try field("resource"), namespace: try field("namespace"), name: try field("name"),
                               apiGroup: try field("apiGroup"), apiVersion: try field("apiVersion"),
                               resourceVersion: try field("resourceVersion"), subresource: try field("subresource"))
    }

    /// The events of a webhook body: an `EventList` (`items`), or a single `Event`.
    public static func events(inBody json: JSONValue) throws(Malformed) -> [AuditEvent] {
        guard case .object = json else { throw Malformed(field: "(body)", reason: "not a JSON object") }
        if json["kind"]?.stringValue == "Event" { return [try AuditEvent(json: json)] }
        if let kind = json["kind"]?.stringValue, kind != "EventList" {
            throw Malformed(field: "kind", reason: "'\(kind)' is neither EventList nor Event")
        }
        guard let items = json["items"] else { throw Malformed(field: "items", reason: "missing") }
        if items == .null { return [] }
        guard let list = items.arrayValue else { throw Malformed(field: "items", reason: "not an array") }
        var events: [AuditEvent] = []
        events.reserveCapacity(list.count)
        for (index, item) in list.enumerated() {
            do throws(Malformed) {
                events.append(try AuditEvent(json: item))
            } catch {
                throw Malformed(field: "items[\(index)].\(error.field)", reason: error.reason)
            }
        }
        return events
    }
}
