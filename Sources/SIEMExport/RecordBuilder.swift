import Audit
import FlowCore
import Query

/// Turns stored flows and audit versions into `ExportRecord`s: the same JSON the query
/// commands print, with the envelope fields each sink lifts out of it.
struct RecordBuilder {
    let storeID: String
    let cluster: String
    private var flowJSON = FlowJSONRenderer()

    init(storeID: String, cluster: String) {
        self.storeID = storeID
        self.cluster = cluster
    }

    /// A flow at `row` of the block at `position`; its id names exactly that stored record.
    mutating func flow(_ record: AnnotatedFlow, segment: UInt64, block: UInt32, row: Int) -> ExportRecord {
        var body: [UInt8] = []
        body.reserveCapacity(1024)
        flowJSON.render(record, into: &body)
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
        return ExportRecord(kind: .flows, id: "flow-\(storeID)-\(segment)-\(block)-\(row)", time: flow.start, host: record.node,
                            body: body, fields: fields, parameters: parameters, alert: verdict == .deny)
    }

    /// A version of a cluster object, as `flowlog audit query -o ndjson` prints it.
    func audit(_ version: ObjectVersion, json: JSONValue) -> ExportRecord {
        var fields: [(name: String, value: String)] = []
        if !version.key.namespace.isEmpty { fields.append(("namespace", version.key.namespace)) }
        if !cluster.isEmpty { fields.append(("cluster", cluster)) }
        var parameters: [(name: String, value: String)] = [
            ("object", version.key.description), ("version", String(version.version)), ("verb", version.verb),
            ("user", version.author.username), ("hash", version.hash),
        ]
        if !cluster.isEmpty { parameters.append(("cluster", cluster)) }
        // The hash chains versions of one object; with the sequence it names this version.
        return ExportRecord(kind: .audit, id: "audit-\(version.sequence)-\(version.hash.prefix(16))", time: version.time,
                            host: version.author.node, body: Array(json.compactText.utf8), fields: fields, parameters: parameters,
                            alert: false)
    }
}
