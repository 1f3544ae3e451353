import FlowCore
import Policy

/// CIS 5.3.2 judged by the tier engine: a namespace passes only if its pods are effectively
/// default-deny in both directions, not merely "selected by some NetworkPolicy".
///
/// For every distinct pod shape in a namespace (labels and service account of each Pod and pod
/// template) and for a pod with no labels (any pod added later), flowlog places a probe
/// endpoint with those labels in the loaded cluster and asks the engine about connections
/// no rule should single out: from and to an address outside every network, and from and to a
/// pod in a namespace no policy names, on TCP and UDP port 1. Every one must be denied.
/// Probes use the reserved 240.0.0.0/4 range, so they collide with no real address.
struct CISNetworkIsolation {
    static let outsideAddress = "240.255.255.254"
    static let elsewhereNamespace = "flowlog-cis-elsewhere"
    static let elsewhereAddress = "240.0.255.254"
    static let peerLabel = "flowlog.io/cis-probe-peer"
    static let probeTier = "flowlog-cis-probe"

    struct Probe {
        let namespace: String
        let name: String
        let labels: [String: String]
        let serviceAccount: String
        /// What the probe stands for, for the report.
        let represents: String
        let address: String
    }

    /// The probes for `namespaces`, at most 65,000 (the addresses 240.0.0.1 … 240.0.253.254).
    static func probes(namespaces: [String], workloads: [CISWorkload]) -> [Probe] {
        var probes: [Probe] = []
        var seen: Set<String> = []
        func add(_ namespace: String, _ labels: [String: String], _ account: String, _ represents: String) {
            let key = "\(namespace)|\(labels.sorted { $0.key < $1.key })|\(account)"
            guard seen.insert(key).inserted, probes.count < 65_000 else { return }
            let n = probes.count + 1
            probes.append(Probe(namespace: namespace, name: "flowlog-cis-probe-\(n)", labels: labels, serviceAccount: account,
                                represents: represents, address: "240.0.\(n / 254).\(n % 254 + 1)"))
        }
        for namespace in namespaces {
            add(namespace, [:], "default", "any new pod in \(namespace)")
            for w in workloads where w.namespace == namespace {
                add(namespace, w.labels, w.serviceAccount, w.reference)
            }
        }
        return probes
    }

    /// The probes and the peer in another namespace as manifests, to load with the cluster.
    static func manifests(_ probes: [Probe]) -> String {
        var docs: [String] = []
        docs.append("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \(elsewhereNamespace)\n")
        docs.append(pod(namespace: elsewhereNamespace, name: "peer", labels: [peerLabel: "true"], account: "default", address: elsewhereAddress))
        // The peer's own egress must not decide the ingress probes (the engine stops at an
        // egress deny, as Calico's data path does), so a first tier lets it send anything.
        docs.append("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: \(probeTier)\nspec:\n  order: 0\n")
        docs.append("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata:
              name: \(probeTier).peer-egress
            spec:
              tier: \(probeTier)
              order: 0
              selector: \(peerLabel) == 'true'
              types: [Egress]
              egress: [{action: Allow}]

            """)
        for p in probes { docs.append(pod(namespace: p.namespace, name: p.name, labels: p.labels, account: p.serviceAccount, address: p.address)) }
        return docs.joined(separator: "---\n")
    }

    private static func pod(namespace: String, name: String, labels: [String: String], account: String, address: String) -> String {
        var text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \(JSONText.string(name))\n  namespace: \(JSONText.string(namespace))\n  labels:\n"
        if labels.isEmpty { text += "    {}\n" }
        for (k, v) in labels.sorted(by: { $0.key < $1.key }) { text += "    \(JSONText.string(k)): \(JSONText.string(v))\n" }
        text += "spec:\n  serviceAccountName: \(JSONText.string(account))\n  containers: [{name: probe}]\nstatus:\n  podIP: \(address)\n"
        return text
    }

    /// A policy hit in words: `profile kns.legacy`, `Kubernetes NetworkPolicy legacy/web-open (tier default, rule 0)`.
    static func describe(_ hit: PolicyHit) -> String {
        if hit.tier == PolicyHit.profileTier { return "profile \(hit.name) (no policy applies)" }
        let name = hit.namespace.isEmpty ? hit.name : "\(hit.namespace)/\(hit.name)"
        let kind: String
        switch hit.kind {
        case .globalNetworkPolicy, .stagedGlobalNetworkPolicy: kind = "GlobalNetworkPolicy"
        case .networkPolicy, .stagedNetworkPolicy: kind = "NetworkPolicy"
        case .kubernetesNetworkPolicy, .stagedKubernetesNetworkPolicy: kind = "Kubernetes NetworkPolicy"
        case .profile: kind = "profile"
        case .clusterNetworkPolicy: kind = "ClusterNetworkPolicy"
        }
        return "\(kind) \(name) (tier \(hit.tier), \(hit.ruleIndex < 0 ? "end of tier" : "rule \(hit.ruleIndex)"))"
    }

    /// One finding per probe that some connection reaches.
    static func evaluate(clusterText: String, namespaces: [String], workloads: [CISWorkload]) throws -> [CISOffender] {
        let probes = probes(namespaces: namespaces, workloads: workloads)
        guard !probes.isEmpty else { return [] }
        let cluster = try ClusterLoader.load(text: clusterText + "\n---\n" + manifests(probes), name: "cluster manifests")
        let engine = PolicyEngine(cluster: cluster)
        var offenders: [CISOffender] = []
        for probe in probes {
            let me = "\(probe.namespace)/\(probe.name)"
            // Direction → (what was allowed, by which policy or profile).
            var allowed: [(direction: String, what: String, by: String)] = []
            for proto in ["tcp", "udp"] {
                let cases: [(String, String, String, String, Bool)] = [
                    ("ingress", "from outside the cluster", outsideAddress, me, true),
                    ("egress", "to outside the cluster", me, outsideAddress, false),
                    ("ingress", "from another namespace", "\(elsewhereNamespace)/peer", me, true),
                    ("egress", "to another namespace", me, "\(elsewhereNamespace)/peer", false),
                ]
                for (direction, what, src, dst, ingress) in cases {
                    let request = ExplainRequest(source: src, destination: dst, ipProtocol: proto, sourcePort: 40000, destinationPort: 1)
                    let annotation = engine.explain(try request.flow(in: cluster)).annotation
                    let trace = ingress ? annotation.ingress : annotation.egress
                    guard trace?.action != .deny else { continue }
                    allowed.append((direction, "\(what) (\(proto.uppercased()))", trace?.hits.last.map(describe) ?? "no policy"))
                }
            }
            guard !allowed.isEmpty else { continue }
            var parts: [String] = []
            for direction in ["ingress", "egress"] {
                let mine = allowed.filter { $0.direction == direction }
                guard !mine.isEmpty else { continue }
                let whats = mine.map(\.what).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
                let bys = mine.map(\.by).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
                parts.append("\(direction) is not default-deny: allowed \(whats.joined(separator: ", ")) by \(bys.joined(separator: ", "))")
            }
            offenders.append(CISOffender(object: "Namespace \(probe.namespace)", detail: "\(probe.represents): \(parts.joined(separator: "; "))"))
        }
        return offenders
    }
}
