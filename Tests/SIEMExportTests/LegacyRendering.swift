import FlowCore
import Query
@testable import SIEMConfig
@testable import SIEMExport

/// The renderers as they were before records were rendered into one reused buffer (a record of
/// Strings and arrays of String pairs, built afresh for every flow), kept here as the oracle of
/// `RenderingEquivalenceTests`: the rewritten path must put out exactly these bytes.
enum LegacyRendering {
    struct Record {
        var kind: RecordKind
        var id: String
        var time: Timestamp
        var host: String
        var body: [UInt8]
        var fields: [(name: String, value: String)]
        var parameters: [(name: String, value: String)]
        var alert: Bool
    }

    static func flow(_ record: AnnotatedFlow, storeID: String, cluster: String, segment: UInt64, block: UInt32, row: Int) -> Record {
        var body: [UInt8] = []
        var renderer = FlowJSONRenderer()
        renderer.render(record, into: &body)
        let flow = record.flow
        let annotation = record.annotation
        let source = annotation?.source, destination = annotation?.destination
        let namespace = source.map(\.namespace).flatMap { $0.isEmpty ? nil : $0 } ?? destination?.namespace ?? ""
        let verdict = annotation?.verdict ?? .unknown
        var fields: [(name: String, value: String)] = []
        if !namespace.isEmpty { fields.append(("namespace", namespace)) }
        fields.append(("verdict", verdict.description))
        if !cluster.isEmpty { fields.append(("cluster", cluster)) }
        var parameters: [(name: String, value: String)] = [
            ("src", flow.sourceAddress.description), ("sport", String(flow.sourcePort)),
            ("dst", flow.destinationAddress.description), ("dport", String(flow.destinationPort)),
            ("proto", flow.ipProtocol.description), ("action", verdict.description),
        ]
        if let source, !source.namespace.isEmpty { parameters.append(("src_ns", source.namespace)) }
        if let source, !source.name.isEmpty { parameters.append(("src_name", source.name)) }
        if let destination, !destination.namespace.isEmpty { parameters.append(("dst_ns", destination.namespace)) }
        if let destination, !destination.name.isEmpty { parameters.append(("dst_name", destination.name)) }
        parameters.append(("packets", String(flow.packets)))
        parameters.append(("bytes", String(flow.bytes)))
        if !cluster.isEmpty { parameters.append(("cluster", cluster)) }
        return Record(kind: .flows, id: "flow-\(storeID)-\(segment)-\(block)-\(row)", time: flow.start, host: record.node,
                      body: body, fields: fields, parameters: parameters, alert: verdict == .deny)
    }

    static func syslog(_ record: Record, options: SIEMConfiguration.SyslogOptions, fallbackHost: String) -> [UInt8] {
        var out: [UInt8] = []
        let severity = record.alert ? options.alertSeverity : options.severity
        out.append(UInt8(ascii: "<"))
        out += Array(String(options.facility * 8 + severity).utf8)
        out.append(contentsOf: ">1 ".utf8)
        SyslogMessage.appendTimestamp(record.time, to: &out)
        out.append(0x20)
        headerField(options.hostname ?? (record.host.isEmpty ? fallbackHost : record.host), limit: 255, to: &out)
        out.append(0x20)
        headerField(options.appName, limit: 48, to: &out)
        out.append(contentsOf: " - ".utf8)
        headerField(record.kind.singular, limit: 32, to: &out)
        out.append(0x20)
        out.append(UInt8(ascii: "["))
        headerField(record.kind.singular, limit: 32 - 1 - 10, to: &out)
        out.append(UInt8(ascii: "@"))
        out += Array(String(options.enterpriseNumber).utf8)
        for (name, value) in record.parameters {
            out.append(0x20)
            var written = 0
            for byte in name.utf8 where written < 32 {
                let allowed = byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=") && byte != UInt8(ascii: "]") && byte != UInt8(ascii: "\"")
                out.append(allowed ? byte : UInt8(ascii: "_"))
                written += 1
            }
            out += [UInt8(ascii: "="), UInt8(ascii: "\"")]
            for byte in value.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "]") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "]"))
        out.append(0x20)
        out += record.body
        return out
    }

    static func headerField(_ text: String, limit: Int, to out: inout [UInt8]) {
        var written = 0
        for byte in text.utf8 where written < limit {
            out.append(byte >= 33 && byte <= 126 ? byte : UInt8(ascii: "_"))
            written += 1
        }
        if written == 0 { out.append(UInt8(ascii: "-")) }
    }

    static func jsonString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(byte)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(byte)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func hec(_ record: Record, options: SIEMConfiguration.SplunkOptions, fallbackHost: String) -> [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: "{\"time\":".utf8)
        let millis = record.time.nanoseconds / 1_000_000
        out += Array(String(millis / 1000).utf8)
        out.append(UInt8(ascii: "."))
        let fraction = String(millis % 1000)
        out += Array((String(repeating: "0", count: 3 - fraction.count) + fraction).utf8)
        out += Array(",\"host\":".utf8)
        jsonString(options.host ?? (record.host.isEmpty ? fallbackHost : record.host), to: &out)
        out += Array(",\"source\":".utf8)
        jsonString(options.source, to: &out)
        out += Array(",\"sourcetype\":".utf8)
        jsonString(record.kind.sourceType, to: &out)
        if let index = options.index {
            out += Array(",\"index\":".utf8)
            jsonString(index, to: &out)
        }
        out += Array(",\"event\":".utf8)
        out += record.body
        if !record.fields.isEmpty {
            out += Array(",\"fields\":{".utf8)
            for (i, field) in record.fields.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                jsonString(field.name, to: &out)
                out.append(UInt8(ascii: ":"))
                jsonString(field.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func bulk(_ record: Record, index: String) -> [UInt8] {
        var out: [UInt8] = []
        out += Array("{\"create\":{\"_index\":".utf8)
        jsonString(index, to: &out)
        out += Array(",\"_id\":".utf8)
        jsonString(record.id, to: &out)
        out += Array("}}\n{\"@timestamp\":".utf8)
        jsonString(record.time.rfc3339, to: &out)
        if record.body.count > 2 {
            out.append(UInt8(ascii: ","))
            out += record.body[1...]
        } else {
            out.append(UInt8(ascii: "}"))
        }
        out.append(0x0A)
        return out
    }
}
