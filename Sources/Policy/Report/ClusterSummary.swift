import FlowCore

/// What `flowlog policy check` prints: tiers in order with their policies, endpoint and set counts.
public struct ClusterSummary {
    public let text: String

    public init(_ cluster: Cluster) {
        var lines: [String] = []
        lines.append("files: \(cluster.files.count)")
        lines.append("namespaces: \(cluster.namespaces.count)")
        let addressed = cluster.pods.filter { !$0.addresses.isEmpty }.count
        lines.append("workload endpoints: \(cluster.pods.count) (\(addressed) with an IP)"
            + (cluster.skippedPods > 0 ? ", \(cluster.skippedPods) pods without one (host network or finished)" : ""))
        lines.append("host endpoints: \(cluster.hostEndpoints.count)")
        lines.append("service accounts: \(cluster.serviceAccounts.count), services: \(cluster.services.count)")
        let global = cluster.networkSets.filter(\.isGlobal).count
        lines.append("network sets: \(cluster.networkSets.count - global) namespaced, \(global) global")
        lines.append("tiers (evaluation order):")
        for tier in cluster.tiers {
            let members = cluster.policies(inTier: tier.name)
            let staged = members.filter { $0.kind.isStaged }.count
            let order = tier.order.map { $0 == $0.rounded() ? String(Int64($0)) : String($0) } ?? "none"
            lines.append("  \(tier.name)  order \(order)  default \(tier.defaultAction)"
                + (tier.exists ? "" : "  (no Tier resource)")
                + "  policies \(members.count - staged)" + (staged > 0 ? " + \(staged) staged" : ""))
            for p in members {
                let ns = p.namespace.isEmpty ? "" : p.namespace + "/"
                let order = p.order.map { $0 == $0.rounded() ? String(Int64($0)) : String($0) } ?? "none"
                lines.append("    \(p.kind):\(ns)\(p.name)  order \(order)  ingress \(p.appliesToIngress ? Self.rules(p.ingress.count) : "-")  egress \(p.appliesToEgress ? Self.rules(p.egress.count) : "-")")
            }
        }
        if !cluster.skippedKinds.isEmpty {
            let skipped = cluster.skippedKinds.keys.sorted().map { "\($0) ×\(cluster.skippedKinds[$0]!)" }
            lines.append("skipped kinds: " + skipped.joined(separator: ", "))
        }
        text = lines.joined(separator: "\n")
    }

    static func rules(_ n: Int) -> String { n == 1 ? "1 rule" : "\(n) rules" }
}
