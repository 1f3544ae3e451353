import Foundation
import Logging
import Testing
@testable import Pipeline

final class LineSink: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
    func append(_ line: String) {
        lock.lock()
        stored.append(line)
        lock.unlock()
    }
}

@Suite("Structured log lines")
struct StructuredLogHandlerTests {
    func logger(_ format: LogFormat, level: Logger.Level = .info, sink: LineSink) -> Logger {
        Logger(label: "flowlog.agent") { label in
            StructuredLogHandler(label: label, format: format, level: level, writer: LogLineWriter { sink.append($0) })
        }
    }

    @Test("JSON lines are one valid object each, with metadata and escaping")
    func jsonLines() throws {
        let sink = LineSink()
        var log = logger(.json, sink: sink)
        log[metadataKey: "node"] = "node-1"
        log.warning("reload \"failed\"\n", metadata: ["file": "cluster.yaml", "line": "12", "tiers": .array(["a", "b"])])
        log.debug("not shown at info")
        #expect(sink.lines.count == 1)
        let line = try #require(sink.lines.first)
        #expect(line.hasSuffix("}\n"))
        #expect(line.filter { $0 == "\n" }.count == 1)
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["label"] as? String == "flowlog.agent")
        #expect(object["msg"] as? String == "reload \"failed\"\n")
        #expect(object["node"] as? String == "node-1")
        #expect(object["file"] as? String == "cluster.yaml")
        #expect(object["tiers"] as? [String] == ["a", "b"])
        let time = try #require(object["ts"] as? String)
        #expect(time.hasSuffix("Z") && time.contains("T"))
    }

    @Test("text lines carry time, level, label, message and sorted key=value pairs")
    func textLines() throws {
        let sink = LineSink()
        let log = logger(.text, level: .debug, sink: sink)
        log.debug("flows stored", metadata: ["count": "12", "reason": "two words"])
        let line = try #require(sink.lines.first)
        #expect(line.contains(" debug flowlog.agent: flows stored count=12 reason=\"two words\"\n"))
        #expect(line.first?.isNumber == true)
    }
}
