import FlowCore

/// Offline ingest of audit log files into a store: every line parsed, every kept change stored,
/// every bad line reported with its file, line and reason, and nothing stops on a bad line.
public struct AuditIngest {
    public struct BadLine: Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var column: Int?
        public var reason: String
        public var description: String {
            "\(file):\(line)\(column.map { ":\($0)" } ?? ""): \(reason)"
        }
    }

    public struct Report: Sendable {
        public var files = 0
        public var events = 0
        public var versions = 0
        public var skipped: [VersionBuilder.Skip: Int] = [:]
        public var badLines: [BadLine] = []
        /// Bad lines beyond the first `maximumReported` are counted, not kept.
        public var badLineCount = 0

        public init() {}
    }

    public static let maximumReported = 1_000

    /// Events are handed to the store in batches this large (one write each).
    static let batch = 4_096

    public static func ingest(files: [String], into store: AuditStore) throws -> Report {
        var report = Report()
        for file in files {
            report.files += 1
            let reader = try AuditLogReader(path: file)
            var events: [AuditEvent] = []
            func flush() throws {
                for outcome in try store.ingest(events) {
                    switch outcome {
                    case .success(let versions): report.versions += versions.count
                    case .failure(let skip): report.skipped[skip.reason, default: 0] += 1
                    }
                }
                events.removeAll(keepingCapacity: true)
            }
            func bad(_ line: Int, _ column: Int?, _ reason: String) {
                report.badLineCount += 1
                if report.badLines.count < maximumReported {
                    report.badLines.append(BadLine(file: file, line: line, column: column, reason: reason))
                }
            }
            while let line = try reader.next() {
                let number: Int, bytes: ArraySlice<UInt8>
                switch line {
                case .complete(let n, let b):
                    number = n
                    bytes = b
                case .partial(let n, let b):
                    reader.consumePartial()
                    number = n
                    bytes = b
                case .tooLong(let n, let size):
                    bad(n, nil, "line longer than \(reader.maximumLineBytes) bytes (\(size)+ bytes)")
                    continue
                }
                let partial: Bool
                if case .partial = line { partial = true } else { partial = false }
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                switch decode(bytes) {
                case .success(let event):
                    report.events += 1
                    events.append(event)
                    if events.count >= batch { try flush() }
                case .failure(let failure):
                    bad(number, failure.column, partial ? "truncated last line (no newline): \(failure.reason)" : failure.reason)
                }
            }
            try flush()
        }
        return report
    }

    public struct LineFailure: Error, Sendable {
        public var column: Int?
        public var reason: String
    }

    /// One log line as an event.
    public static func decode(_ bytes: ArraySlice<UInt8>) -> Result<AuditEvent, LineFailure> {
        bytes.withUnsafeBytes { raw in
            do {
                let json = try JSONParser.parse(raw, limits: .init(maximumBytes: 16 << 20))
                return .success(try AuditEvent(json: json))
            } catch let failure as JSONParser.Failure {
                return .failure(LineFailure(column: failure.column, reason: "not JSON: \(failure.reason)"))
            } catch let malformed as AuditEvent.Malformed {
                return .failure(LineFailure(column: nil, reason: "not an audit event: \(malformed)"))
            } catch {
                return .failure(LineFailure(column: nil, reason: "\(error)"))
            }
        }
    }
}
