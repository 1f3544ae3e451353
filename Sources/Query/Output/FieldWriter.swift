import FlowCore

/// Writes one field of a flow as plain text (CSV cells, table cells, group-by keys) or as a
/// JSON value. Text goes into the buffer as is, then is quoted or escaped only if it needs it,
/// so the common case is a straight copy.
struct FieldWriter {
    enum Style { case plain, csv, json }

    private var time = TimestampWriter()
    private var sourceLabels = LabelTextCache()
    private var destinationLabels = LabelTextCache()
    private var traceText = PolicyTextCache()
    /// Table cells print times to the second (the order within a second stays exact).
    var secondsOnly = false

    mutating func write(_ field: OutputField, of record: AnnotatedFlow, style: Style, into out: inout OutputBuffer) {
        // Matching on the optional borrows its payload; `annotation ?? default` would copy it.
        switch record.annotation {
        case .some(let annotation):
            write(field, flow: record.flow, annotation: annotation, annotated: true, node: record.node,
                  domains: record.destinationDomains, style: style, into: &out)
        case .none:
            write(field, flow: record.flow, annotation: .absent, annotated: false, node: record.node,
                  domains: record.destinationDomains, style: style, into: &out)
        }
    }

    /// The same with the record's parts passed separately, so a row takes the annotation once
    /// (arguments are borrowed) rather than once per field.
    mutating func write(_ field: OutputField, flow: FlowRecord, annotation a: FlowAnnotation, annotated: Bool,
                        node: String, domains: DomainNames = .none, style: Style, into out: inout OutputBuffer) {
        switch field {
        case .startTime: openSafe(style, &out); time.write(flow.start, secondsOnly: secondsOnly, into: &out); closeSafe(style, &out)
        case .endTime: openSafe(style, &out); time.write(flow.end, secondsOnly: secondsOnly, into: &out); closeSafe(style, &out)
        case .sourceIP: openSafe(style, &out); out.append(address: flow.sourceAddress); closeSafe(style, &out)
        case .destIP: openSafe(style, &out); out.append(address: flow.destinationAddress); closeSafe(style, &out)
        // Ports only where the protocol has them (ICMP's type and code are not ports).
        case .sourcePort: port(flow.sourcePort, flow.ipProtocol, style, &out)
        case .destPort: port(flow.destinationPort, flow.ipProtocol, style, &out)
        case .destPortProto:
            openSafe(style, &out)
            if flow.ipProtocol.hasPorts { out.append(decimal: UInt64(flow.destinationPort)); out.append(UInt8(ascii: "/")) }
            out.append(flow.ipProtocol.description)
            closeSafe(style, &out)
        case .source:
            if annotated, a.source.kind == .workload { string(a.source.namespace + "/" + a.source.name, style, &out) }
            else { openSafe(style, &out); out.append(address: flow.sourceAddress); closeSafe(style, &out) }
        case .dest:
            if annotated, a.destination.kind == .workload { string(a.destination.namespace + "/" + a.destination.name, style, &out) }
            else { openSafe(style, &out); out.append(address: flow.destinationAddress); closeSafe(style, &out) }
        case .sourceType: safe(annotated ? a.source.kind.description : "-", style, &out)
        case .destType: safe(annotated ? a.destination.kind.description : "-", style, &out)
        case .sourceNamespace: string(annotated ? a.source.namespace : "-", style, &out)
        case .destNamespace: string(annotated ? a.destination.namespace : "-", style, &out)
        case .sourceName: string(annotated ? a.source.name : "-", style, &out)
        case .destName: string(annotated ? a.destination.name : "-", style, &out)
        case .sourceNameAggr: string(annotated ? a.source.aggregatedName : "-", style, &out)
        case .destNameAggr: string(annotated ? a.destination.aggregatedName : "-", style, &out)
        case .sourceLabels: sourceLabels.write(a.source.labels, style: style, into: &out)
        case .destLabels: destinationLabels.write(a.destination.labels, style: style, into: &out)
        case .destServiceNamespace, .destServiceName:
            let service = a.destinationService
            guard let slash = service.utf8.firstIndex(of: UInt8(ascii: "/")) else {
                string(service.isEmpty ? "-" : service, style, &out)
                return
            }
            let part = field == .destServiceNamespace ? service.utf8[..<slash] : service.utf8[service.utf8.index(after: slash)...]
            let t = beginText(style, &out); out.append(bytesOf: part); endText(style, &out, t)
        case .proto: safe(flow.ipProtocol.description, style, &out)
        case .action: safe(annotated ? a.verdict.description : "unknown", style, &out)
        case .pendingAction: safe(annotated ? a.pendingVerdict.description : "unknown", style, &out)
        case .reporter: safe(annotated ? a.reporter?.description ?? "-" : "-", style, &out)
        // Calico's record carries the reporter's traces only.
        case .policies: traceText.write(a.reportsAtDestination ? a.ingress : a.egress, nil, style: style, into: &out)
        case .pendingPolicies:
            traceText.write(a.reportsAtDestination ? a.pendingIngress : a.pendingEgress, nil, style: style, into: &out)
        case .egressPolicies: traceText.write(a.egress, nil, style: style, into: &out)
        case .ingressPolicies: traceText.write(a.ingress, nil, style: style, into: &out)
        case .pendingEgressPolicies: traceText.write(a.pendingEgress, nil, style: style, into: &out)
        case .pendingIngressPolicies: traceText.write(a.pendingIngress, nil, style: style, into: &out)
        case .packetsIn, .packetsOut, .bytesIn, .bytesOut, .sourcePackets, .destPackets, .sourceBytes, .destBytes:
            out.append(decimal: Self.counter(field, flow, reportedByDestination: annotated && a.reportsAtDestination))
        case .packets: out.append(decimal: flow.packets)
        case .bytes: out.append(decimal: flow.bytes)
        case .host: string(node.isEmpty ? "-" : node, style, &out)
        case .vlan:
            if flow.vlan == FlowRecord.noVLAN {
                if style == .json { out.append(ascii: "null") } else { out.append(UInt8(ascii: "-")) }
            } else {
                out.append(decimal: UInt64(flow.vlan))
            }
        case .destDomains: Self.names(domains, style, &out)
        case .tcpFlags: openSafe(style, &out); Self.writeFlags(flow.tcpFlagsOut.rawValue | flow.tcpFlagsIn.rawValue, into: &out); closeSafe(style, &out)
        }
    }

    /// The counter columns; see `FlowCounter` for the meaning of in and out.
    static func counter(_ field: OutputField, _ flow: FlowRecord, reportedByDestination: Bool) -> UInt64 {
        let counter: FlowCounter
        switch field {
        case .packetsIn: counter = .packetsIn
        case .packetsOut: counter = .packetsOut
        case .bytesIn: counter = .bytesIn
        case .bytesOut: counter = .bytesOut
        case .sourcePackets: counter = .sourcePackets
        case .destPackets: counter = .destinationPackets
        case .sourceBytes: counter = .sourceBytes
        case .destBytes: counter = .destinationBytes
        case .bytes: counter = .bytes
        default: counter = .packets
        }
        return counter.value(of: flow, reportedByDestination: reportedByDestination)
    }

    private func port(_ port: UInt16, _ proto: IPProtocol, _ style: Style, _ out: inout OutputBuffer) {
        if proto.hasPorts { out.append(decimal: UInt64(port)) }
        else if style == .json { out.append(ascii: "null") }
        else { out.append(UInt8(ascii: "-")) }
    }

    // MARK: - Text values

    /// Values from a fixed vocabulary (times, addresses, enum names) never need quoting or
    /// escaping: JSON gets the quotes, CSV nothing.
    private func openSafe(_ style: Style, _ out: inout OutputBuffer) {
        if style == .json { out.append(UInt8(ascii: "\"")) }
    }

    private func closeSafe(_ style: Style, _ out: inout OutputBuffer) {
        if style == .json { out.append(UInt8(ascii: "\"")) }
    }

    private func safe(_ s: String, _ style: Style, _ out: inout OutputBuffer) {
        openSafe(style, &out)
        out.append(s)
        closeSafe(style, &out)
    }

    /// nfdump-style `CEUAPRSF` letters, `.` for a clear flag, as `TCPFlags.description` spells them.
    private static func writeFlags(_ bits: UInt8, into out: inout OutputBuffer) {
        let letters: StaticString = "FSRPAUEC"
        letters.withUTF8Buffer { l in
            for bit in (0..<8).reversed() { out.append(bits & (1 << bit) != 0 ? l[bit] : UInt8(ascii: ".")) }
        }
    }

    private func string(_ s: String, _ style: Style, _ out: inout OutputBuffer) {
        let t = beginText(style, &out); out.append(s); endText(style, &out, t)
    }

    /// Text is appended raw between these two calls; `endText` then quotes (CSV) or escapes
    /// (JSON) what was written, which for typical values is a scan that changes nothing.
    private func beginText(_ style: Style, _ out: inout OutputBuffer) -> Int {
        if style == .json { out.append(UInt8(ascii: "\"")) }
        return out.count
    }

    private func endText(_ style: Style, _ out: inout OutputBuffer, _ start: Int) {
        switch style {
        case .plain: break
        case .csv: CellEscaping.quoteCSVIfNeeded(&out, from: start)
        case .json:
            CellEscaping.escapeJSON(&out, from: start)
            out.append(UInt8(ascii: "\""))
        }
    }

    /// Enforced (or pending) hits, egress then ingress, in the v3.32 policy-string form;
    /// `;`-separated in text, an array in JSON.
    /// A list of names: a JSON array, or `;`-joined text (`-` for none) like the policy lists.
    static func names(_ domains: DomainNames, _ style: Style, _ out: inout OutputBuffer) {
        if style == .json { out.append(UInt8(ascii: "[")) }
        let start = out.count
        for (i, name) in domains.names.enumerated() {
            if i > 0 { out.append(style == .json ? UInt8(ascii: ",") : UInt8(ascii: ";")) }
            if style == .json { out.append(UInt8(ascii: "\"")) }
            let nameStart = out.count
            out.append(name)
            if style == .json { CellEscaping.escapeJSON(&out, from: nameStart); out.append(UInt8(ascii: "\"")) }
        }
        switch style {
        case .json: out.append(UInt8(ascii: "]"))
        case .csv: if domains.isEmpty { out.append(UInt8(ascii: "-")) } else { CellEscaping.quoteCSVIfNeeded(&out, from: start) }
        case .plain: if domains.isEmpty { out.append(UInt8(ascii: "-")) }
        }
    }

    static func policies(_ first: PolicyTrace?, _ second: PolicyTrace?, _ style: Style, _ out: inout OutputBuffer) {
        if style == .json { out.append(UInt8(ascii: "[")) }
        let start = out.count
        var written = 0
        Self.writeHits(first, style, &written, &out)
        Self.writeHits(second, style, &written, &out)
        switch style {
        case .json: out.append(UInt8(ascii: "]"))
        case .csv: if written == 0 { out.append(UInt8(ascii: "-")) } else { CellEscaping.quoteCSVIfNeeded(&out, from: start) }
        case .plain: if written == 0 { out.append(UInt8(ascii: "-")) }
        }
    }

    private static func writeHits(_ trace: PolicyTrace?, _ style: Style, _ written: inout Int, _ out: inout OutputBuffer) {
        guard let trace else { return }
        for hit in trace.hits {
            if written > 0 { out.append(style == .json ? UInt8(ascii: ",") : UInt8(ascii: ";")) }
            if style == .json { out.append(UInt8(ascii: "\"")) }
            let hitStart = out.count
            writeHit(hit, into: &out)
            if style == .json { CellEscaping.escapeJSON(&out, from: hitStart); out.append(UInt8(ascii: "\"")) }
            written += 1
        }
    }

    /// `<idx>|<tier>|<kind>:[<ns>/]<name>|<action>|<ruleIdx>` without building a `String`.
    static func writeHit(_ hit: PolicyHit, into out: inout OutputBuffer) {
        out.append(signed: hit.index); out.append(UInt8(ascii: "|"))
        out.append(hit.tier); out.append(UInt8(ascii: "|"))
        out.append(hit.kind.description); out.append(UInt8(ascii: ":"))
        if !hit.namespace.isEmpty { out.append(hit.namespace); out.append(UInt8(ascii: "/")) }
        out.append(hit.name); out.append(UInt8(ascii: "|"))
        out.append(hit.action.description); out.append(UInt8(ascii: "|"))
        out.append(signed: hit.ruleIndex)
    }
}
