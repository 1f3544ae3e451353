import FlowCore

/// Equivalence classes of flow ends for rule matching: two addresses in one class get the same
/// answer from every rule, plan and profile, so a walk decided for one holds for the other.
///
/// What the evaluator can observe about one end of a flow (besides its port): the endpoint's
/// selector labels (selectors, namespaceSelectors and serviceAccounts all become label tests),
/// its own labels (service selectors), kind, namespace (policy plans), named container ports,
/// profiles; the network sets containing the address (by identity: selectors see their labels);
/// which rule CIDRs contain it; and whether it is the cluster IP of a service a rule names.
/// Each of those is part of the class key, so equal keys can never disagree. The key is finer
/// than strictly necessary (two sets with equal labels stay apart), which only costs cache size.
struct MatchClasses {
    /// What makes endpoints indistinguishable to rules; the per-pod name is deliberately absent.
    private struct EntityKey: Hashable {
        let kind: SelectableEntity.Kind
        let namespace: String
        /// Label maps by their number in the index's `LabelNumbering`.
        let selectorLabels: Int32
        let ownLabels: Int32
        let namedPorts: [NamedPort]
        let profileNames: [String]
        let profileAllows: [Bool]
    }

    private struct SideKey: Hashable {
        let entityClass: Int
        let sets: [Int]
        let cidrs: [Int]
        let serviceIP: IPAddress?
    }

    /// The distinct prefixes of every rule's `nets` and `notNets`.
    let ruleCIDRs: [IPPrefix]
    /// Cluster IPs of the services rules name (`services:`), which rules compare addresses with.
    let ruleServiceIPs: Set<IPAddress>
    /// Per entity: its class id once computed, -1 before.
    private var entityClasses: [Int]
    private var entityClassIDs: [EntityKey: Int] = [:]
    private var sideClassIDs: [SideKey: Int] = [:]

    init(policies: [CompiledPolicy], entityCount: Int) {
        var cidrs: [IPPrefix] = []
        var seen: Set<IPPrefix> = []
        var serviceIPs: Set<IPAddress> = []
        for policy in policies {
            for rule in policy.ingress + policy.egress {
                for side in [rule.source, rule.destination] {
                    for net in side.nets + side.notNets where seen.insert(net).inserted { cidrs.append(net) }
                    if case let .some(.some(service)) = side.service { serviceIPs.formUnion(service.clusterIPs) }
                }
            }
        }
        ruleCIDRs = cidrs
        ruleServiceIPs = serviceIPs
        entityClasses = Array(repeating: -1, count: entityCount)
    }

    /// Number of distinct side classes seen so far.
    var sideClassCount: Int { sideClassIDs.count }

    mutating func entityClass(_ entity: Int, in index: EndpointIndex) -> Int {
        if entityClasses[entity] >= 0 { return entityClasses[entity] }
        let e = index.entities[entity]
        let key = EntityKey(kind: e.kind, namespace: e.namespace, selectorLabels: index.selectorLabelMaps[entity],
                            ownLabels: index.ownLabelMaps[entity], namedPorts: e.namedPorts,
                            profileNames: e.profiles.map(\.name), profileAllows: e.profiles.map(\.allows))
        let id: Int
        if let known = entityClassIDs[key] {
            id = known
        } else {
            id = entityClassIDs.count
            entityClassIDs[key] = id
        }
        entityClasses[entity] = id
        return id
    }

    /// The class of a flow end at `address` with the endpoint (-1: none) and network sets there.
    mutating func sideClass(address: IPAddress, endpoint: Int, sets: [Int], in index: EndpointIndex) -> Int {
        var containing: [Int] = []
        for (i, prefix) in ruleCIDRs.enumerated() where prefix.contains(address) { containing.append(i) }
        let key = SideKey(entityClass: endpoint >= 0 ? entityClass(endpoint, in: index) : -1, sets: sets,
                          cidrs: containing, serviceIP: ruleServiceIPs.contains(address) ? address : nil)
        if let known = sideClassIDs[key] { return known }
        let id = sideClassIDs.count
        sideClassIDs[key] = id
        return id
    }
}
