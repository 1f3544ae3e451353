/// The error type every stage throws: a stable code, a message, and where it happened.
///
/// A struct rather than an enum so new codes never break a caller's `switch` (the shape of
/// swift-service-lifecycle's `ServiceGroupError` and swift-nio's `FileSystemError`).
public struct FlowlogError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let fileNotFound = Code("file-not-found")
        public static let permissionDenied = Code("permission-denied")
        public static let unsupportedFormat = Code("unsupported-format")
        public static let truncated = Code("truncated")
        public static let corrupt = Code("corrupt")
        public static let io = Code("io")
        public static let libraryCall = Code("library-call")
        public static let invalidArgument = Code("invalid-argument")
        public static let parse = Code("parse")
        public static let validation = Code("validation")
        public static let newerFormat = Code("newer-format")
    }

    /// Where: a file with a byte offset, or a line and column (1-based), and the field or
    /// resource concerned. Any part may be absent.
    public struct Location: Hashable, Sendable, CustomStringConvertible {
        public var file: String?
        public var offset: UInt64?
        public var line: Int?
        public var column: Int?
        public var field: String?

        public init(file: String? = nil, offset: UInt64? = nil, line: Int? = nil, column: Int? = nil, field: String? = nil) {
            self.file = file
            self.offset = offset
            self.line = line
            self.column = column
            self.field = field
        }

        public var description: String {
            var parts: [String] = []
            var head = file ?? ""
            if let line {
                head += (head.isEmpty ? "line " : ":") + "\(line)"
                if let column { head += ":\(column)" }
            } else if let column {
                head += (head.isEmpty ? "column " : ": column ") + "\(column)"
            }
            if !head.isEmpty { parts.append(head) }
            if let offset { parts.append("offset \(offset)") }
            if let field { parts.append(field) }
            return parts.joined(separator: ", ")
        }
    }

    public var code: Code
    public var message: String
    public var location: Location?
    /// The C function that failed, for library-call errors (`pcap_open_offline`, `LZ4_…`).
    public var call: String?

    public init(_ code: Code, _ message: String, location: Location? = nil, call: String? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.call = call
    }

    public var description: String {
        var text = ""
        if let location, !location.description.isEmpty { text += "\(location): " }
        if let call { text += "\(call): " }
        return text + message
    }
}
