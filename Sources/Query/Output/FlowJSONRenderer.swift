import FlowCore

/// One flow as the JSON object that `flowlog query -o ndjson` prints for it, for exporters
/// that embed flows in their own envelopes (a syslog message, a Splunk event, an Elasticsearch
/// document): a record sent elsewhere reads exactly like the same record queried here.
public struct FlowJSONRenderer {
    private var writer: FlowRowWriter
    private var buffer = OutputBuffer(target: .memory)

    public init(fields: [OutputField] = OutputField.standard) {
        writer = FlowRowWriter(format: .ndjson, fields: fields)
    }

    /// Appends the object (no trailing newline) to `bytes`.
    public mutating func render(_ record: AnnotatedFlow, into bytes: inout [UInt8]) {
        buffer.truncate(to: 0)
        writer.write(record, into: &buffer)
        let written = buffer.written(from: 0)
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: written[0..<(written.count - 1)]))
    }
}
