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
        JSONBytes.appendStatic("{\"time\":", to: &out)
        let millis = record.time.nanoseconds / 1_000_000
        JSONBytes.appendDecimal(millis / 1000, to: &out)
        out.append(UInt8(ascii: "."))
        let fraction = millis % 1000
        out.append(UInt8(ascii: "0") + UInt8(fraction / 100))
        out.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        out.append(UInt8(ascii: "0") + UInt8(fraction % 10))
        out.append(UInt8(ascii: ","))
        JSONBytes.appendKey("host", to: &out)
        record.text.withUnsafeBufferPointer { text in
            if let host = options.host {
                JSONBytes.appendString(host, to: &out)
            } else if record.host.isEmpty {
                JSONBytes.appendString(fallbackHost, to: &out)
            } else {
                JSONBytes.appendString(bytes: UnsafeBufferPointer(rebasing: text[record.host]), to: &out)
            }
            out.append(UInt8(ascii: ","))
            JSONBytes.appendKey("source", to: &out)
            JSONBytes.appendString(options.source, to: &out)
            out.append(UInt8(ascii: ","))
            JSONBytes.appendKey("sourcetype", to: &out)
            switch record.kind {
            case .flows: JSONBytes.appendStatic("\"flowlog:flow\"", to: &out)
            case .audit: JSONBytes.appendStatic("\"flowlog:audit\"", to: &out)
            case .findings: JSONBytes.appendStatic("\"flowlog:finding\"", to: &out)
            }
            if let index = options.index {
                out.append(UInt8(ascii: ","))
                JSONBytes.appendKey("index", to: &out)
                JSONBytes.appendString(index, to: &out)
            }
            out.append(UInt8(ascii: ","))
            JSONBytes.appendKey("event", to: &out)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[record.body]))
            if !record.fields.isEmpty {
                out.append(UInt8(ascii: ","))
                JSONBytes.appendKey("fields", to: &out)
                out.append(UInt8(ascii: "{"))
                for (i, field) in record.fields.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    JSONBytes.appendString(bytes: UnsafeBufferPointer(rebasing: text[field.name]), to: &out)
                    out.append(UInt8(ascii: ":"))
                    JSONBytes.appendString(bytes: UnsafeBufferPointer(rebasing: text[field.value]), to: &out)
                }
                out.append(UInt8(ascii: "}"))
            }
        }
        out.append(UInt8(ascii: "}"))
    }
}
