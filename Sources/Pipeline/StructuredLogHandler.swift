#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore

import Logging

/// A swift-log handler writing one line per message, as text or JSON, to standard error (or to
/// any `LogLineWriter`). Each line goes out in a single `write(2)`, so lines from different
/// threads never interleave.
public struct StructuredLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String
    public let format: LogFormat
    let writer: LogLineWriter

    public init(label: String, format: LogFormat, level: Logger.Level, writer: LogLineWriter = .standardError) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.writer = writer
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error { merged["error"] = .string("\(error)") }
        let time = Self.now().rfc3339
        let message = "\(event.message)"
        switch format {
        case .text: writer.write(Self.textLine(time: time, level: event.level, label: label, message: message, metadata: merged))
        case .json: writer.write(Self.jsonLine(time: time, level: event.level, label: label, message: message, metadata: merged))
        }
    }

    static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(seconds: UInt64(spec.tv_sec), nanoseconds: UInt64(spec.tv_nsec))
    }

    static func textLine(time: String, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var line = "\(time) \(level) \(label): \(message)"
        for key in metadata.keys.sorted() {
            let value = "\(metadata[key]!)"
            let needsQuotes = value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })
            line += " \(key)=" + (needsQuotes ? "\"" + value.replacingEvery("\"", with: "\\\"") + "\"" : value)
        }
        return line.replacingEvery("\n", with: "\\n") + "\n"
    }

    static func jsonLine(time: String, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var line = "{\"ts\":\(jsonString(time)),\"level\":\(jsonString(level.rawValue)),"
        line += "\"label\":\(jsonString(label)),\"msg\":\(jsonString(message))"
        for key in metadata.keys.sorted() where !["ts", "level", "label", "msg"].contains(key) {
            line += ",\(jsonString(key)):\(jsonValue(metadata[key]!))"
        }
        return line + "}\n"
    }

    static func jsonValue(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): return jsonString(text)
        case .stringConvertible(let convertible): return jsonString(convertible.description)
        case .array(let values): return "[" + values.map(jsonValue).joined(separator: ",") + "]"
        case .dictionary(let entries):
            return "{" + entries.keys.sorted().map { "\(jsonString($0)):\(jsonValue(entries[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    static func jsonString(_ text: String) -> String { JSONText.string(text) }
}

/// Where log lines go: standard error by default, or a closure (tests, embedding programs).
public struct LogLineWriter: Sendable {
    let write: @Sendable (String) -> Void

    public init(_ write: @escaping @Sendable (String) -> Void) { self.write = write }

    func write(_ line: String) { write(line) }

    public static let standardError = LogLineWriter { line in writeAll(line, to: 2) }
}

/// Process-wide logging setup for the agent and replay.
public enum AgentLogging {
    /// Routes every `Logger` to a `StructuredLogHandler`. Call once, early in `main`.
    public static func bootstrap(level: Logger.Level, format: LogFormat) {
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, format: format, level: level) }
    }
}

extension String {
    func replacingEvery(_ target: Character, with replacement: String) -> String {
        guard contains(target) else { return self }
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
