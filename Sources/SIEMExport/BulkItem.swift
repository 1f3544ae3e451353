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
        out += Array("{\"create\":{\"_index\":".utf8)
        JSONBytes.appendString(index, to: &out)
        out += Array(",\"_id\":".utf8)
        JSONBytes.appendString(record.id, to: &out)
        out += Array("}}\n{\"@timestamp\":".utf8)
        JSONBytes.appendString(record.time.rfc3339, to: &out)
        // The body is an object: its members follow ours.
        if record.body.count > 2 {
            out.append(UInt8(ascii: ","))
            out += record.body[1...]
        } else {
            out.append(UInt8(ascii: "}"))
        }
        out.append(0x0A)
    }
}
