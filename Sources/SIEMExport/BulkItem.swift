import FlowCore

/// One Elasticsearch / OpenSearch `_bulk` item: a `create` action line and the document line,
/// each ending in `\n` (NDJSON, `application/x-ndjson`):
///
///     {"create":{"_index":"logs-flowlog.flows-default","_id":"flow-<store id>-12-3-417"}}
///     {"@timestamp":"2026-11-23T07:08:24.123456789Z",…the record's JSON members…}
///
/// `create` is the only action a data stream takes, and with a deterministic `_id` a second
/// copy of the same record is refused with 409 instead of indexed twice. `@timestamp` is the
/// field data streams require.
enum BulkItem {
    static func append(_ record: ExportRecord, index: String, to out: inout [UInt8]) {
        JSONBytes.appendStatic("{\"create\":{\"_index\":", to: &out)
        JSONBytes.appendString(index, to: &out)
        JSONBytes.appendStatic(",\"_id\":", to: &out)
        record.text.withUnsafeBufferPointer { text in
            JSONBytes.appendString(bytes: UnsafeBufferPointer(rebasing: text[record.id]), to: &out)
            JSONBytes.appendStatic("}}\n{\"@timestamp\":\"", to: &out)
            appendRFC3339(record.time, to: &out)
            out.append(UInt8(ascii: "\""))
            // The body is an object: its members follow ours.
            let body = UnsafeBufferPointer(rebasing: text[record.body])
            if body.count > 2 {
                out.append(UInt8(ascii: ","))
                out.append(contentsOf: UnsafeBufferPointer(rebasing: body[1...]))
            } else {
                out.append(UInt8(ascii: "}"))
            }
        }
        out.append(0x0A)
    }

    /// `Timestamp.rfc3339` (nine fraction digits, `Z`) without building a `String`.
    static func appendRFC3339(_ time: Timestamp, to out: inout [UInt8]) {
        let seconds = time.nanoseconds / 1_000_000_000
        let (y, m, d) = Timestamp.civilDate(daysSinceEpoch: Int64(seconds / 86_400))
        let s = seconds % 86_400
        JSONBytes.appendPadded(UInt64(y), width: 4, to: &out)
        out.append(UInt8(ascii: "-")); JSONBytes.appendPadded(UInt64(m), width: 2, to: &out)
        out.append(UInt8(ascii: "-")); JSONBytes.appendPadded(UInt64(d), width: 2, to: &out)
        out.append(UInt8(ascii: "T")); JSONBytes.appendPadded(s / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":")); JSONBytes.appendPadded(s / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":")); JSONBytes.appendPadded(s % 60, width: 2, to: &out)
        out.append(UInt8(ascii: "."))
        JSONBytes.appendPadded(time.nanoseconds % 1_000_000_000, width: 9, to: &out)
        out.append(UInt8(ascii: "Z"))
    }
}
