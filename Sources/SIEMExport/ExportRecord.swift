import FlowCore
import Query
import SIEMConfig

/// One record on its way to a sink, before the sink's envelope: the JSON body that `flowlog
/// query -o ndjson` (flows) or `flowlog audit query -o ndjson` (audit) prints, plus what the
/// envelopes lift out of it. Every sink format reads it.
///
/// All of a record's text lives in one byte buffer, `text`; the id, host, body and the names and
/// values of fields and parameters are ranges of it. A sink worker keeps one `ExportRecord`
/// and refills it for every flow (`reset` keeps the buffer's and the lists' capacity), so
/// rendering a flow allocates nothing once they have grown to a record's size, and no
/// reference-counted object is made per record.
struct ExportRecord {
    /// A name and its value, both ranges of `text`.
    struct Pair {
        var name: Range<Int>
        var value: Range<Int>
    }

    var kind: RecordKind
    var time: Timestamp
    /// A denied flow or a failed check: sent at the alert severity.
    var alert: Bool
    private(set) var text: [UInt8] = []
    /// Deterministic: the same stored record always gets the same id, so an Elasticsearch
    /// retry is answered 409 instead of indexed twice.
    var id: Range<Int> = 0..<0
    /// The node that saw it; empty when unknown.
    var host: Range<Int> = 0..<0
    /// A JSON object.
    var body: Range<Int> = 0..<0
    /// Indexed fields (Splunk `fields`): namespace, verdict, cluster; empty values left out.
    private(set) var fields: [Pair] = []
    /// Syslog structured-data parameters, in order.
    private(set) var parameters: [Pair] = []

    init() {
        kind = .flows
        time = Timestamp(nanoseconds: 0)
        alert = false
        text.reserveCapacity(4096)
        fields.reserveCapacity(4)
        parameters.reserveCapacity(16)
    }

    /// A record of given parts (audit versions and findings, which are few).
    init(kind: RecordKind, id: String, time: Timestamp, host: String, body: [UInt8],
         fields: [(name: String, value: String)], parameters: [(name: String, value: String)], alert: Bool) {
        self.init()
        reset(kind: kind, time: time, alert: alert)
        self.id = appendText(id)
        self.host = appendText(host)
        self.body = appendBytes(body)
        for (name, value) in fields { addField(appendText(name), appendText(value)) }
        for (name, value) in parameters { addParameter(appendText(name), appendText(value)) }
    }

    /// Empties the record for the next one, keeping every buffer's capacity.
    mutating func reset(kind: RecordKind, time: Timestamp, alert: Bool) {
        self.kind = kind
        self.time = time
        self.alert = alert
        text.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
        parameters.removeAll(keepingCapacity: true)
        id = 0..<0
        host = 0..<0
        body = 0..<0
    }

    // MARK: - Filling

    /// Appends `value`'s UTF-8 to `text`; returns its range.
    mutating func appendText(_ value: String) -> Range<Int> {
        let start = text.count
        var value = value
        value.withUTF8 { text.append(contentsOf: $0) }
        return start..<text.count
    }

    mutating func appendText(_ value: StaticString) -> Range<Int> {
        let start = text.count
        text.append(contentsOf: UnsafeBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount))
        return start..<text.count
    }

    mutating func appendBytes(_ value: [UInt8]) -> Range<Int> {
        let start = text.count
        text.append(contentsOf: value)
        return start..<text.count
    }

    mutating func appendDecimal(_ value: UInt64) -> Range<Int> {
        let start = text.count
        JSONBytes.appendDecimal(value, to: &text)
        return start..<text.count
    }

    /// The standard text form; IPv4 without going through `String`.
    mutating func appendAddress(_ address: IPAddress) -> Range<Int> {
        guard let v4 = address.ipv4Value else { return appendText(address.description) }
        let start = text.count
        JSONBytes.appendDecimal(UInt64(v4 >> 24), to: &text)
        text.append(UInt8(ascii: "."))
        JSONBytes.appendDecimal(UInt64((v4 >> 16) & 0xFF), to: &text)
        text.append(UInt8(ascii: "."))
        JSONBytes.appendDecimal(UInt64((v4 >> 8) & 0xFF), to: &text)
        text.append(UInt8(ascii: "."))
        JSONBytes.appendDecimal(UInt64(v4 & 0xFF), to: &text)
        return start..<text.count
    }

    /// The flow's JSON object, rendered straight into `text`.
    mutating func appendJSON(of flow: AnnotatedFlow, renderer: inout FlowJSONRenderer) -> Range<Int> {
        let start = text.count
        renderer.render(flow, into: &text)
        return start..<text.count
    }

    mutating func addField(_ name: Range<Int>, _ value: Range<Int>) { fields.append(Pair(name: name, value: value)) }
    mutating func addParameter(_ name: Range<Int>, _ value: Range<Int>) { parameters.append(Pair(name: name, value: value)) }

    // MARK: - Reading

    /// The bytes of `range` as a String (log lines and tests; not the hot path).
    func string(_ range: Range<Int>) -> String { String(decoding: text[range], as: UTF8.self) }
}

/// Appending JSON strings to a byte buffer, escaped as RFC 8259 requires.
enum JSONBytes {
    static func appendString(_ text: String, to out: inout [UInt8]) {
        appendString(bytes: text.utf8, to: &out)
    }

    static func appendString<Bytes: Sequence>(bytes: Bytes, to out: inout [UInt8]) where Bytes.Element == UInt8 {
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(byte)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(byte)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "u"))
                out.append(UInt8(ascii: "0")); out.append(UInt8(ascii: "0"))
                out.append(hexDigit(byte >> 4)); out.append(hexDigit(byte & 15))
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10 }

    static func appendKey(_ key: StaticString, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        appendStatic(key, to: &out)
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    static func appendStatic(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        if value < 10 { out.append(UInt8(ascii: "0") + UInt8(value)); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value, count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while n > 0 {
                count += 1
                d[20 - count] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[(20 - count)...]))
        }
    }

    /// `value` with at least `width` digits, zero-padded on the left.
    static func appendPadded(_ value: UInt64, width: Int, to out: inout [UInt8]) {
        var digits = 1, n = value
        while n >= 10 { n /= 10; digits += 1 }
        for _ in digits..<max(width, digits) { out.append(UInt8(ascii: "0")) }
        appendDecimal(value, to: &out)
    }
}
