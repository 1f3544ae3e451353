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

    /// Refills `record` with the flow at `row` of the block at `position`; its id names exactly
    /// that stored record. Appends only to the record's reused buffers (see `ExportRecord`).
    mutating func flow(_ flowRecord: AnnotatedFlow, segment: UInt64, block: UInt32, row: Int, into record: inout ExportRecord) {
        let flow = flowRecord.flow
        let annotation = flowRecord.annotation
        let verdict = annotation?.verdict ?? .unknown
        record.reset(kind: .flows, time: flow.start, alert: verdict == .deny)
        let idStart = record.text.count
        _ = record.appendText("flow-")
        _ = record.appendText(storeID)
        _ = record.appendText("-")
        _ = record.appendDecimal(segment)
        _ = record.appendText("-")
        _ = record.appendDecimal(UInt64(block))
        _ = record.appendText("-")
        _ = record.appendDecimal(UInt64(row))
        record.id = idStart..<record.text.count
        record.host = record.appendText(flowRecord.node)
        record.body = record.appendJSON(of: flowRecord, renderer: &flowJSON)

        let verdictText = Self.text(of: verdict)
        let clusterText = cluster.isEmpty ? nil : record.appendText(cluster)
        var sourceNamespace: Range<Int>?, sourceName: Range<Int>?, destinationNamespace: Range<Int>?, destinationName: Range<Int>?
        if let annotation {
            let source = annotation.source, destination = annotation.destination
            if !source.namespace.isEmpty { sourceNamespace = record.appendText(source.namespace) }
            if !source.name.isEmpty { sourceName = record.appendText(source.name) }
            if !destination.namespace.isEmpty { destinationNamespace = record.appendText(destination.namespace) }
            if !destination.name.isEmpty { destinationName = record.appendText(destination.name) }
        }
        // Splunk's namespace: the source's, else the destination's (which may be empty).
        if let namespace = sourceNamespace ?? destinationNamespace {
            record.addField(record.appendText("namespace"), namespace)
        }
        let verdictRange = record.appendText(verdictText)
        record.addField(record.appendText("verdict"), verdictRange)
        if let clusterText { record.addField(record.appendText("cluster"), clusterText) }

        record.addParameter(record.appendText("src"), record.appendAddress(flow.sourceAddress))
        record.addParameter(record.appendText("sport"), record.appendDecimal(UInt64(flow.sourcePort)))
        record.addParameter(record.appendText("dst"), record.appendAddress(flow.destinationAddress))
        record.addParameter(record.appendText("dport"), record.appendDecimal(UInt64(flow.destinationPort)))
        record.addParameter(record.appendText("proto"), record.appendText(flow.ipProtocol.description))
        record.addParameter(record.appendText("action"), verdictRange)
        if let sourceNamespace { record.addParameter(record.appendText("src_ns"), sourceNamespace) }
        if let sourceName { record.addParameter(record.appendText("src_name"), sourceName) }
        if let destinationNamespace { record.addParameter(record.appendText("dst_ns"), destinationNamespace) }
        if let destinationName { record.addParameter(record.appendText("dst_name"), destinationName) }
        record.addParameter(record.appendText("packets"), record.appendDecimal(flow.packets))
        record.addParameter(record.appendText("bytes"), record.appendDecimal(flow.bytes))
        if let clusterText { record.addParameter(record.appendText("cluster"), clusterText) }
    }

    private static func text(of verdict: Verdict) -> StaticString {
        switch verdict {
        case .unknown: return "unknown"
        case .allow: return "allow"
        case .deny: return "deny"
        }
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
