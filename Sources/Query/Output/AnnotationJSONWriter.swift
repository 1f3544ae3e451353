import FlowCore

/// Writes a flow's identity and policy fields as JSON object members (`"name":value,…`, no
/// braces), in the query's field names, so a producer outside a query (`flowlog replay --flows
/// ndjson --cluster …`) reports annotations exactly as `flowlog query -o ndjson` does.
public struct AnnotationJSONWriter {
    /// The annotation's fields, in Calico flow-log order.
    public static let annotationFields: [OutputField] = [
        .sourceType, .sourceNamespace, .sourceName, .sourceNameAggr, .sourceLabels,
        .destType, .destNamespace, .destName, .destNameAggr, .destLabels,
        .destServiceNamespace, .destServiceName, .action, .reporter, .policies, .pendingPolicies,
        .pendingAction, .egressPolicies, .ingressPolicies, .pendingEgressPolicies, .pendingIngressPolicies,
        .packetsIn, .packetsOut, .bytesIn, .bytesOut, .host,
    ]

    let fields: [OutputField]
    private var fieldWriter = FieldWriter()
    private var buffer = OutputBuffer(target: .memory)
    private let keys: [[UInt8]]

    public init(fields: [OutputField] = AnnotationJSONWriter.annotationFields) {
        self.fields = fields
        keys = fields.map { Array("\"\($0.rawValue)\":".utf8) }
    }

    /// Appends the members for `record` to `out`.
    public mutating func appendMembers(of record: AnnotatedFlow, to out: inout [UInt8]) {
        buffer.truncate(to: 0)
        for i in 0..<fields.count {
            if i > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.append(bytesOf: keys[i])
            fieldWriter.write(fields[i], of: record, style: .json, into: &buffer)
        }
        out.append(contentsOf: buffer.written(from: 0))
    }
}
