import FlowCore
import SIEMConfig

/// One record on its way to a sink, before the sink's envelope: the JSON body that `flowlog
/// query -o ndjson` (flows) or `flowlog audit query -o ndjson` (audit) prints, plus what the
/// envelopes lift out of it. Made once per record and sink type; every sink format reads it.
struct ExportRecord {
    var kind: RecordKind
    /// Deterministic: the same stored record always gets the same id, so an Elasticsearch
    /// retry is answered 409 instead of indexed twice.
    var id: String
    var time: Timestamp
    /// The node that saw it; "" when unknown.
    var host: String
    /// A JSON object.
    var body: [UInt8]
    /// Indexed fields (Splunk `fields`): namespace, verdict, cluster; empty values left out.
    var fields: [(name: String, value: String)]
    /// Syslog structured-data parameters, in order.
    var parameters: [(name: String, value: String)]
    /// A denied flow or a failed check: sent at the alert severity.
    var alert: Bool
}

/// Appending JSON strings to a byte buffer, escaped as RFC 8259 requires.
enum JSONBytes {
    static func appendString(_ text: String, to out: inout [UInt8]) {
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

    static func appendKey(_ key: StaticString, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        if value == 0 { out.append(UInt8(ascii: "0")); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value, count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while n > 0 {
                d[count] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(d[i]) }
        }
    }
}
