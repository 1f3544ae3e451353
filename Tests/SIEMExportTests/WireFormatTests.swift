import FlowCore
import Foundation
@testable import SIEMConfig
@testable import SIEMExport
import Testing

@Suite("SIEM wire formats")
struct WireFormatTests {
    static let time = Timestamp(nanoseconds: 1_732_345_704_123_456_789)

    static func record(body: String = "{\"a\":1}", host: String = "node-1", alert: Bool = false,
                       parameters: [(String, String)] = [("src", "10.0.0.1")]) -> ExportRecord {
        ExportRecord(kind: .flows, id: "flow-x-1-2-3", time: time, host: host, body: Array(body.utf8),
                     fields: [("namespace", "shop"), ("verdict", "deny"), ("cluster", "prod")],
                     parameters: parameters.map { (name: $0.0, value: $0.1) }, alert: alert)
    }

    static func syslog(_ record: ExportRecord, _ options: SIEMConfiguration.SyslogOptions = .init()) -> String {
        var out: [UInt8] = []
        SyslogMessage.append(record, options: options, fallbackHost: "fallback", to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test("RFC 5424 header, PRI from facility and severity, SD-ID with the enterprise number")
    func syslogHeader() {
        #expect(Self.syslog(Self.record()) == "<134>1 2024-11-23T07:08:24.123456Z node-1 flowlog - flow [flow@32473 src=\"10.0.0.1\"] {\"a\":1}")
        var options = SIEMConfiguration.SyslogOptions()
        options.facility = 4
        options.alertSeverity = 1
        options.enterpriseNumber = 99
        options.appName = "app"
        #expect(Self.syslog(Self.record(alert: true), options).hasPrefix("<33>1 2024-11-23T07:08:24.123456Z node-1 app - flow [flow@99 "))
    }

    @Test("SD values escape quote, backslash and bracket; names drop what RFC 5424 forbids")
    func structuredDataEscaping() {
        let text = Self.syslog(Self.record(parameters: [("a=b c]\"", #"x"y\z]w"#), ("ünï", "ok")]))
        #expect(text.contains(#"[flow@32473 a_b_c__="x\"y\\z\]w" __n__="ok"] "#) || text.contains(#"a_b_c__="x\"y\\z\]w""#))
        #expect(text.contains(#"="x\"y\\z\]w""#))
    }

    @Test("header fields: non-printable bytes replaced, lengths cut, '-' for empty")
    func headerLimits() {
        let long = String(repeating: "h", count: 300)
        let text = Self.syslog(Self.record(host: long))
        let host = text.split(separator: " ")[2]
        #expect(host.count == 255)
        #expect(Self.syslog(Self.record(host: "")).split(separator: " ")[2] == "fallback")
        var out: [UInt8] = []
        SyslogMessage.appendHeaderField("a b\tc", limit: 48, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "a_b_c")
        out = []
        SyslogMessage.appendHeaderField("", limit: 48, to: &out)
        #expect(out == [UInt8(ascii: "-")])
    }

    @Test("octet counting frames hold any bytes, newlines included, uncut")
    func framing() {
        let message = Array("<134>1 - - - - - line one\nline two".utf8) + Array(repeating: UInt8(ascii: "x"), count: 70_000)
        var out: [UInt8] = []
        message.withUnsafeBytes { SyslogMessage.appendFrame($0, to: &out) }
        let prefix = "\(message.count) "
        #expect(Array(out.prefix(prefix.utf8.count)) == Array(prefix.utf8))
        #expect(Array(out.dropFirst(prefix.utf8.count)) == message)
    }

    @Test("HEC event: time with milliseconds, envelope keys, event object, indexed fields")
    func hecEvent() throws {
        var options = SIEMConfiguration.SplunkOptions()
        options.index = "network"
        var out: [UInt8] = []
        HECEvent.append(Self.record(), options: options, fallbackHost: "fb", to: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(text == #"{"time":1732345704.123,"host":"node-1","source":"flowlog","sourcetype":"flowlog:flow","index":"network","event":{"a":1},"fields":{"namespace":"shop","verdict":"deny","cluster":"prod"}}"#)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
        #expect((json["event"] as? [String: Any])?["a"] as? Int == 1)
    }

    @Test("_bulk item: create action with index and deterministic id, @timestamp first in the document, NDJSON lines")
    func bulkItem() throws {
        var out: [UInt8] = []
        BulkItem.append(Self.record(body: #"{"a":"x\ny"}"#), index: "logs-flowlog.flows-default", to: &out)
        let lines = String(decoding: out, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[2].isEmpty)
        #expect(lines[0] == #"{"create":{"_index":"logs-flowlog.flows-default","_id":"flow-x-1-2-3"}}"#)
        #expect(lines[1] == #"{"@timestamp":"2024-11-23T07:08:24.123456789Z","a":"x\ny"}"#)
    }

    @Test("JSON strings are escaped as RFC 8259 requires")
    func jsonEscaping() {
        var out: [UInt8] = []
        JSONBytes.appendString("q\"b\\n\n\u{1}é", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""q\"b\\n\n\u0001é""#)
    }
}
