import FlowCore
import Policy

/// Probe endpoints for a pack's expectations, placed in the loaded cluster at addresses in the
/// reserved 240.0.0.0/4 range: a pod in each scope namespace, and the pack's named endpoints.
struct PackProbes {
    static let peerLabel = "flowlog.io/pack-probe-peer"
    static let peerTier = "flowlog-pack-probe"

    /// Endpoint name → the `<namespace>/<pod>` or address flows use; scope probes by namespace.
    var scope: [String: String] = [:]
    var endpoints: [String: String] = [:]
    var manifests = ""

    init(pack: CompliancePack, scope namespaces: [String]) {
        var docs: [String] = []
        var n = 0
        func pod(_ namespace: String, _ name: String, _ labels: [String: String]) -> String {
            n += 1
            var text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \(JSONText.string(name))\n  namespace: \(JSONText.string(namespace))\n  labels:\n"
            if labels.isEmpty { text += "    {}\n" }
            for (k, v) in labels.sorted(by: { $0.key < $1.key }) { text += "    \(JSONText.string(k)): \(JSONText.string(v))\n" }
            return text + "spec:\n  containers: [{name: probe}]\nstatus:\n  podIP: 240.1.\(n / 254).\(n % 254 + 1)\n"
        }
        for ns in namespaces {
            docs.append(pod(ns, "flowlog-pack-probe", [:]))
            scope[ns] = "\(ns)/flowlog-pack-probe"
        }
        for (key, endpoint) in pack.endpoints.sorted(by: { $0.key < $1.key }) {
            switch endpoint {
            case .address(let address):
                endpoints[key] = address
            case .namespace(let labels):
                let ns = "flowlog-pack-\(key)"
                var text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \(ns)\n  labels:\n"
                if labels.isEmpty { text += "    {}\n" }
                for (k, v) in labels.sorted(by: { $0.key < $1.key }) { text += "    \(JSONText.string(k)): \(JSONText.string(v))\n" }
                docs.append(text)
                docs.append(pod(ns, "probe", [Self.peerLabel: "true"]))
                endpoints[key] = "\(ns)/probe"
            case .pod(let ns, let labels):
                var withPeer = labels
                withPeer[Self.peerLabel] = "true"
                docs.append(pod(ns, "flowlog-pack-\(key)", withPeer))
                endpoints[key] = "\(ns)/flowlog-pack-\(key)"
            }
        }
        // A peer's own egress must not decide an ingress expectation (the engine stops at an
        // egress deny), so a first tier lets the peers send anything.
        docs.append("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: \(Self.peerTier)\nspec:\n  order: 0\n")
        docs.append("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: \(Self.peerTier).peer-egress\nspec:\n  tier: \(Self.peerTier)\n  order: 0\n  selector: \(Self.peerLabel) == 'true'\n  types: [Egress]\n  egress: [{action: Allow}]\n")
        manifests = docs.joined(separator: "---\n")
    }

    /// Each (source, destination, which traces to read) the expectation stands for.
    func connections(_ x: CompliancePack.Expectation, scope namespaces: [String]) -> [(from: String, to: String, egress: Bool, ingress: Bool)] {
        var out: [(String, String, Bool, Bool)] = []
        if x.from == "scope" && x.to == "scope" {
            for (i, ns) in namespaces.enumerated() {
                let next = namespaces[(i + 1) % namespaces.count]
                out.append((scope[ns]!, scope[next]!, true, true))
            }
        } else if x.from == "scope" {
            for ns in namespaces { out.append((scope[ns]!, endpoints[x.to]!, true, false)) }
        } else {
            for ns in namespaces { out.append((endpoints[x.from]!, scope[ns]!, false, true)) }
        }
        return out
    }

    /// Evidence for one expectation: every connection it stands for, with what the engine decided.
    func judge(_ x: CompliancePack.Expectation, pack: CompliancePack, scope namespaces: [String], cluster: Cluster, engine: PolicyEngine) throws -> PackEvidence {
        var details: [String] = []
        var ok = true
        for c in connections(x, scope: namespaces) {
            let request = ExplainRequest(source: c.from, destination: c.to, ipProtocol: x.ipProtocol.lowercased(), sourcePort: 40000, destinationPort: x.port)
            let annotation = engine.explain(try request.flow(in: cluster)).annotation
            var problems: [String] = []
            var seen: [String] = []
            if let action = x.packAction {
                var traces: [(String, PolicyTrace?)] = []
                if c.egress { traces.append(("egress", annotation.egress)) }
                if c.ingress { traces.append(("ingress", annotation.ingress)) }
                for (direction, trace) in traces {
                    let hit = trace?.hits.first { $0.tier == pack.tier.name }
                    seen.append("\(direction): \(hit.map { "\($0.action) by \($0.flowLogString)" } ?? "not decided in tier \(pack.tier.name)")")
                    if hit?.action.description != action { problems.append("\(direction) should be \(action) in tier \(pack.tier.name)") }
                }
            }
            if let verdict = x.verdict, annotation.verdict.description != verdict {
                problems.append("verdict should be \(verdict)")
            }
            let line = "\(c.from) → \(c.to) \(x.ipProtocol.uppercased())/\(x.port): verdict \(annotation.verdict)" + (seen.isEmpty ? "" : "; " + seen.joined(separator: "; "))
            details.append(problems.isEmpty ? line : line + " — " + problems.joined(separator: ", "))
            if !problems.isEmpty { ok = false }
        }
        return PackEvidence(check: "expectation \(x.id)", status: ok ? .pass : .fail, details: details)
    }
}
