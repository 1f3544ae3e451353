import FlowCore

/// Renders a decision for people (`text`) and programs (`json`, the shape of the conformance
/// cases' expected.json: verdict, egress, ingress, pending, flowLogEndpoints).
public enum PolicyReport {
    public static func json(_ a: FlowAnnotation) -> String {
        let w = IndentedJSONWriter()
        w.object {
            w.field("verdict") { w.string(a.verdict.description) }
            w.field("egress") { trace(a.egress, into: w) }
            w.field("ingress") { trace(a.ingress, into: w) }
            if a.pendingEgress != nil || a.pendingIngress != nil {
                w.field("pending") {
                    w.object {
                        w.field("egress") { pendingTrace(a.pendingEgress, into: w) }
                        w.field("ingress") { pendingTrace(a.pendingIngress, into: w) }
                    }
                }
            }
            w.field("flowLogEndpoints") {
                w.object {
                    w.field("source") { endpoint(a.source, into: w) }
                    w.field("dest") { endpoint(a.destination, into: w) }
                }
            }
        }
        return w.text
    }

    private static func trace(_ t: PolicyTrace?, into w: IndentedJSONWriter) {
        guard let t else { return w.null() }
        w.object {
            w.field("reporter") { w.string(t.reporter.description) }
            w.field("action") { w.string(t.action.description) }
            w.field("policies") { w.strings(t.hits.map(\.flowLogString)) }
            w.field("policies_legacy") { w.strings(t.hits.map(\.legacyFlowLogString)) }
        }
    }

    private static func pendingTrace(_ t: PolicyTrace?, into w: IndentedJSONWriter) {
        guard let t else { return w.null() }
        w.object {
            w.field("action") { w.string(t.action.description) }
            w.field("policies") { w.strings(t.hits.map(\.flowLogString)) }
            w.field("policies_legacy") { w.strings(t.hits.map(\.legacyFlowLogString)) }
        }
    }

    private static func endpoint(_ e: EndpointIdentity, into w: IndentedJSONWriter) {
        w.object {
            w.field("type") { w.string(e.kind.description) }
            w.field("namespace") { w.string(e.namespace) }
            w.field("name_aggr") { w.string(e.aggregatedName) }
        }
    }

    /// A readable walk: the flow's two sides, each direction's tiers, policies and rules, the
    /// resulting traces and the verdict.
    public static func text(_ e: PolicyExplanation, flow: FlowRecord, legacyNames: Bool = false) -> String {
        let a = e.annotation
        func side(_ id: EndpointIdentity, _ address: IPAddress, _ port: UInt16) -> String {
            let portText = flow.ipProtocol.hasPorts ? ":\(port)" : ""
            let labels = id.labels.keys.sorted().map { "\($0)=\(id.labels[$0]!)" }.joined(separator: ",")
            let who: String
            switch id.kind {
            case .network: who = "net \(id.aggregatedName)"
            case .host: who = "hep \(id.name) (node \(id.aggregatedName))"
            default: who = "\(id.kind) \(id.namespace == "-" ? "" : id.namespace + "/")\(id.name) (aggregated \(id.aggregatedName))"
            }
            return "\(address)\(portText)  \(who)" + (labels.isEmpty ? "" : " labels \(labels)")
        }
        var lines: [String] = []
        lines.append("flow \(flow.ipProtocol)")
        lines.append("  source       " + side(a.source, flow.sourceAddress, flow.sourcePort))
        lines.append("  destination  " + side(a.destination, flow.destinationAddress, flow.destinationPort)
            + (a.destinationService.isEmpty ? "" : "  service \(a.destinationService)"))
        lines.append("")
        lines.append(contentsOf: e.walk)
        lines.append("")
        func traceLines(_ title: String, _ t: PolicyTrace?) {
            guard let t else { return }
            lines.append("\(title) (reporter \(t.reporter)): \(t.action)")
            for hit in t.hits { lines.append("  " + (legacyNames ? hit.legacyFlowLogString : hit.flowLogString)) }
        }
        traceLines("egress policies", a.egress)
        traceLines("ingress policies", a.ingress)
        traceLines("pending egress policies", a.pendingEgress)
        traceLines("pending ingress policies", a.pendingIngress)
        lines.append("action: \(a.verdict)")
        if a.pendingEgress != nil || a.pendingIngress != nil {
            let pending = a.pendingVerdict
            lines.append("pending_action: \(pending)" + (pending == a.verdict ? " (staged policies change nothing)" : " (staged policies would change the action)"))
        }
        if Self.endOfTierNamesDiffer(a.egress, a.pendingEgress) || Self.endOfTierNamesDiffer(a.ingress, a.pendingIngress) {
            lines.append("note: at a tier's end (rule -1) Calico names the last policy that selected the endpoint in the "
                         + "enforced trace and the first in the pending trace, so the two can name different policies")
        }
        return lines.joined(separator: "\n")
    }

    /// Whether an end-of-tier entry of the same tier names different policies in the two traces.
    static func endOfTierNamesDiffer(_ enforced: PolicyTrace?, _ pending: PolicyTrace?) -> Bool {
        guard let enforced, let pending else { return false }
        for e in enforced.hits where e.ruleIndex == -1 {
            if pending.hits.contains(where: { $0.ruleIndex == -1 && $0.tier == e.tier && ($0.name != e.name || $0.namespace != e.namespace) }) {
                return true
            }
        }
        return false
    }
}
