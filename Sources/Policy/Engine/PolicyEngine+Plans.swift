import FlowCore

/// Which policies apply to one endpoint: per direction, the tiers (by index into `tierPlans`)
/// where at least one policy selects it, with those policies in order. Shared by reference by
/// every endpoint of a match class, so a walk fetches it without copying four arrays.
final class EndpointPlan {
    typealias Tiers = [(tier: Int, policies: [Int])]
    let ingress: Tiers
    let egress: Tiers
    let pendingIngress: Tiers
    let pendingEgress: Tiers

    init(ingress: Tiers, egress: Tiers, pendingIngress: Tiers, pendingEgress: Tiers) {
        self.ingress = ingress
        self.egress = egress
        self.pendingIngress = pendingIngress
        self.pendingEgress = pendingEgress
    }

    func tiers(_ direction: PolicyDirection, pending: Bool) -> Tiers {
        switch (direction, pending) {
        case (.ingress, false): return ingress
        case (.egress, false): return egress
        case (.ingress, true): return pendingIngress
        case (.egress, true): return pendingEgress
        }
    }
}

extension PolicyEngine {
    /// Orders tiers and their policies once. The pending list applies staged policies to the
    /// enforced set: `Set`/`Learn` add or replace the policy of the same name, `Delete` removes
    /// it, `Ignore` does nothing.
    static func planTiers(cluster: Cluster, policies: [CompiledPolicy], ordering: PolicyOrdering) -> [TierPlan] {
        // `ClusterPolicy.sortsBefore` with each policy's tie-break key made once: the sorts
        // built two keys (strings, then byte arrays) at every comparison, and copied two policies.
        let orders = policies.map(\.policy.order)
        let tieBreakKeys = policies.map { $0.policy.tieBreakKey(ordering) }
        let sortsBefore = { (a: Int, b: Int) -> Bool in
            ClusterPolicy.orderPrecedes(orders[a], orders[b]) ?? tieBreakKeys[a].lexicographicallyPrecedes(tieBreakKeys[b])
        }
        var membersByTier: [String: [Int]] = [:]
        for p in policies.indices { membersByTier[policies[p].policy.tier, default: []].append(p) }
        return cluster.tiers.map { tier in
            let members = (membersByTier[tier.name] ?? []).sorted(by: sortsBefore)
            let enforced = members.filter { !policies[$0].policy.kind.isStaged }
            var pending = enforced
            for s in members where policies[s].policy.kind.isStaged {
                let counterpart = policies[s].policy.enforcedCounterpart
                let namespace = policies[s].policy.namespace, name = policies[s].policy.name
                // Field by field: copying a policy per candidate retained every one of its members.
                let replaced: (Int) -> Bool = {
                    policies[$0].policy.kind == counterpart && policies[$0].policy.namespace == namespace && policies[$0].policy.name == name
                }
                switch policies[s].policy.stagedAction {
                case .set, .learn:
                    pending.removeAll(where: replaced)
                    pending.append(s)
                case .delete:
                    pending.removeAll(where: replaced)
                case .ignore:
                    break
                }
            }
            pending.sort(by: sortsBefore)
            return TierPlan(tier: tier, enforced: enforced, pending: pending)
        }
    }

    func plan(for entity: Int) -> EndpointPlan {
        if let known = plans[entity] { return known }
        // Endpoints of one match class have equal namespaces and selector labels, so equal plans.
        let matchClass = classes.entityClass(entity, in: index)
        if let known = classPlans[matchClass] {
            plans[entity] = known
            return known
        }
        var ingress: EndpointPlan.Tiers = [], egress: EndpointPlan.Tiers = []
        var pendingIngress: EndpointPlan.Tiers = [], pendingEgress: EndpointPlan.Tiers = []
        // No namespaced policy is in a namespace no number names: -2 matches none of them.
        let namespace = policyNamespaceNumbers[index.entities[entity].namespace] ?? -2
        func selecting(_ list: [Int]) -> (ingress: [Int], egress: [Int]) {
            var ingress: [Int] = [], egress: [Int] = []
            for p in list {
                // Field by field: copying the whole policy would retain every one of its members.
                // A namespaced policy's selector carries its namespace; skip the label lookups
                // (by number: comparing the namespaces' text was most of a plan's cost).
                if policyNamespaces[p] >= 0 && policyNamespaces[p] != namespace { continue }
                guard memo.matches(policies[p].selector, entity: entity) else { continue }
                if policies[p].policy.appliesToIngress { ingress.append(p) }
                if policies[p].policy.appliesToEgress { egress.append(p) }
            }
            return (ingress, egress)
        }
        for (t, tierPlan) in tierPlans.enumerated() {
            let enforced = selecting(tierPlan.enforced)
            if !enforced.ingress.isEmpty { ingress.append((t, enforced.ingress)) }
            if !enforced.egress.isEmpty { egress.append((t, enforced.egress)) }
            if hasStagedPolicies {
                let pending = selecting(tierPlan.pending)
                if !pending.ingress.isEmpty { pendingIngress.append((t, pending.ingress)) }
                if !pending.egress.isEmpty { pendingEgress.append((t, pending.egress)) }
            }
        }
        let plan = EndpointPlan(ingress: ingress, egress: egress, pendingIngress: pendingIngress, pendingEgress: pendingEgress)
        plans[entity] = plan
        classPlans[matchClass] = plan
        return plan
    }
}
