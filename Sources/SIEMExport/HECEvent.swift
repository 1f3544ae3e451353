import FlowCore
import SIEMConfig

/// Splunk HTTP Event Collector events (`POST /services/collector/event`), stacked one after
/// another in a body (no array, no separators):
///
///     {"time":1732345704.123,"host":"node-1","source":"flowlog","sourcetype":"flowlog:flow",
///      "index":"network","event":{…the record's JSON…},"fields":{"namespace":"shop","verdict":"deny","cluster":"prod"}}
///
/// `time` is epoch seconds with milliseconds; `fields` are indexed fields, which only the
/// `/event` endpoint accepts. `index` is left out when the sink names none (the token's default).
enum HECEvent {
    static func append(_ record: ExportRecord, options: SIEMConfiguration.SplunkOptions, fallbackHost: String, to out: inout [UInt8]) {
        out.append(contentsOf: "{\"time\":".utf8)
        let millis = record.time.nanoseconds / 1_000_000
        JSONBytes.appendDecimal(millis / 1000, to: &out)
        out.append(UInt8(ascii: "."))
        let fraction = millis % 1000
        out.append(UInt8(ascii: "0") + UInt8(fraction / 100))
        out.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        out.append(UInt8(ascii: "0") + UInt8(fraction % 10))
        out.append(UInt8(ascii: ","))
        JSONBytes.appendKey("host", to: &out)
        JSONBytes.appendString(options.host ?? (record.host.isEmpty ? fallbackHost : record.host), to: &out)
        out.append(UInt8(ascii: ","))
        JSONBytes.appendKey("source", to: &out)
        JSONBytes.appendString(options.source, to: &out)
        out.append(UInt8(ascii: ","))
        JSONBytes.appendKey("sourcetype", to: &out)
        JSONBytes.appendString(record.kind.sourceType, to: &out)
        if let index = options.index {
            out.append(UInt8(ascii: ","))
            JSONBytes.appendKey("index", to: &out)
            JSONBytes.appendString(index, to: &out)
        }
        out.append(UInt8(ascii: ","))
        JSONBytes.appendKey("event", to: &out)
        out += record.body
        if !record.fields.isEmpty {
            out.append(UInt8(ascii: ","))
            JSONBytes.appendKey("fields", to: &out)
            out.append(UInt8(ascii: "{"))
            for (i, field) in record.fields.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONBytes.appendString(field.name, to: &out)
                out.append(UInt8(ascii: ":"))
                JSONBytes.appendString(field.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
    }
}
