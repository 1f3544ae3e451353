import FlowCore

/// Writes one field of a flow as plain text (CSV cells, table cells, group-by keys) or as a
/// JSON value. Text goes into the buffer as is, then is quoted or escaped only if it needs it,
/// so the common case is a straight copy.
struct FieldWriter {
    enum Style { case plain, csv, json }

    private var time = TimestampWriter()
    private var sourceLabels = LabelTextCache()
    private var destinationLabels = LabelTextCache()
    private var enforcedPolicies = PolicyTextCache()
    private var pendingPolicies = PolicyTextCache()

    mutating func write(_ field: OutputField, of record: AnnotatedFlow, style: Style, into out: inout OutputBuffer) {
        // Matching on the optional borrows its payload; `annotation ?? default` would copy it.
        switch record.annotation {
        case .some(let annotation):
            write(field, flow: record.flow, annotation: annotation, annotated: true, node: record.node, style: style, into: &out)
        case .none:
            write(field, flow: record.flow, annotation: .absent, annotated: false, node: record.node,
                  style: style, into: &out)
        }
    }

    /// The same with the record's parts passed separately, so a row takes the annotation once
    /// (arguments are borrowed) rather than once per field.
    mutating func write(_ field: OutputField, flow: FlowRecord, annotation a: FlowAnnotation, annotated: Bool,
                        node: String, style: Style, into out: inout OutputBuffer) {
        switch field {
        case .startTime: openSafe(style, &out); time.write(flow.start, into: &out); closeSafe(style, &out)
        case .endTime: openSafe(style, &out); time.write(flow.end, into: &out); closeSafe(style, &out)
        case .sourceIP: openSafe(style, &out); out.append(address: flow.sourceAddress); closeSafe(style, &out)
        case .destIP: openSafe(style, &out); out.append(address: flow.destinationAddress); closeSafe(style, &out)
        case .sourcePort: out.append(decimal: UInt64(flow.sourcePort))
        case .destPort: out.append(decimal: UInt64(flow.destinationPort))
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
        case .action: safe(a.verdict.description, style, &out)
        case .reporter: safe(Self.reporter(a)?.description ?? "-", style, &out)
        case .policies: enforcedPolicies.write(a.egress, a.ingress, style: style, into: &out)
        case .pendingPolicies: pendingPolicies.write(a.pendingEgress, a.pendingIngress, style: style, into: &out)
        case .packetsIn: out.append(decimal: flow.packetsIn)
        case .packetsOut: out.append(decimal: flow.packetsOut)
        case .bytesIn: out.append(decimal: flow.bytesIn)
        case .bytesOut: out.append(decimal: flow.bytesOut)
        case .packets: out.append(decimal: flow.packets)
        case .bytes: out.append(decimal: flow.bytes)
        case .host: string(node.isEmpty ? "-" : node, style, &out)
        case .vlan:
            if flow.vlan == FlowRecord.noVLAN {
                if style == .json { out.append(ascii: "null") } else { out.append(UInt8(ascii: "-")) }
            } else {
                out.append(decimal: UInt64(flow.vlan))
            }
        case .tcpFlags: openSafe(style, &out); Self.writeFlags(flow.tcpFlagsOut.rawValue | flow.tcpFlagsIn.rawValue, into: &out); closeSafe(style, &out)
        }
    }

    private static func reporter(_ a: FlowAnnotation) -> Reporter? {
        if let r = a.ingress?.reporter { return r }
        return a.egress?.reporter
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
