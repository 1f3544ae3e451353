import FlowCore
import Policy

/// Assesses every in-scope endpoint of one cluster state. Rule readings are memoised per rule
/// (which namespaces' pods its peer can be, rather than a yes/no per namespace), so a policy
/// selecting thousands of pods is read once.
struct StateAssessor {
    let cluster: Cluster
    let privateNetworks: PrivateNetworks
    private let tiers: [TierPolicies]
    /// Every enforced policy, in tier order, flattened once (not per endpoint).
    private let policies: [ClusterPolicy]
    private let networkSets: [NetworkSetLabels]
    private let pods: [PodLabels]
    private var calicoInternet: [RuleKey: Bool] = [:]
    private var internet: [RuleKey: Bool] = [:]
    private var peerNamespaces: [RuleKey: RuleReading.PeerNamespaces] = [:]

    private struct RuleKey: Hashable {
        let policy: String
        let ingress: Bool
        let index: Int
    }

    init(cluster: Cluster, privateNetworks: PrivateNetworks) {
        self.cluster = cluster
        self.privateNetworks = privateNetworks
        tiers = TierPolicies.enforced(in: cluster)
        policies = tiers.flatMap(\.policies)
        networkSets = cluster.networkSets.map { NetworkSetLabels(labels: cluster.selectorLabels(of: $0), nets: $0.nets) }
        pods = cluster.pods.map { PodLabels(namespace: $0.namespace, labels: cluster.selectorLabels(of: $0), addresses: $0.addresses) }
    }

    mutating func assess(_ selection: EndpointSelection) -> [EndpointAssessment] {
        cluster.reportEndpoints().filter { selection.includes($0, in: cluster) }.map { assess($0) }
    }

    mutating func assess(_ endpoint: ReportEndpoint) -> EndpointAssessment {
        let applied = policies.filter { $0.selects(endpoint) }
        var calico = CalicoFlags()
        var assessed = AssessedFlags()
        var findings: [String] = []
        // Locals, so the memo closures capture values rather than `self` while a memo table is mutated.
        let networkSets = networkSets, pods = pods, privateNetworks = privateNetworks
        for direction in [PolicyDirection.ingress, .egress] {
            let typed = applied.filter { $0.hasType(direction) }
            var calicoInternetFlag = false, calicoOtherFlag = false
            for policy in typed {
                for (index, rule) in policy.rules(for: direction).enumerated() where rule.action == .allow {
                    let key = RuleKey(policy: policy.calicoName, ingress: direction == .ingress, index: index)
                    if !calicoInternetFlag {
                        calicoInternetFlag = Self.cached(&calicoInternet, key) {
                            RuleReading.calicoInternet(rule, direction: direction, networkSets: networkSets)
                        }
                    }
                    if !calicoOtherFlag {
                        calicoOtherFlag = RuleReading.calicoOtherNamespace(rule, policy: policy, direction: direction)
                    }
                }
            }
            let walk = TierWalkReading(endpoint: endpoint, direction: direction, tiers: tiers, profiles: cluster.profiles)
            var internetFlag = walk.fallsThroughToAllowingProfile
            var otherFlag = walk.fallsThroughToAllowingProfile
            let word = direction == .ingress ? "ingress" : "egress"
            if let everything = walk.matchAllAllow {
                findings.append("\(word): rule \(everything.ruleIndex) of \(everything.origin) allows every packet")
            } else if walk.fallsThroughToAllowingProfile {
                findings.append("\(word): no tier denies by default; profile \(walk.allowingProfile ?? "") allows what the tiers pass")
            }
            for allow in walk.reachableAllows {
                let key = RuleKey(policy: allow.origin, ingress: direction == .ingress, index: allow.ruleIndex)
                if !internetFlag, Self.cached(&internet, key, {
                    RuleReading.admitsInternet(allow.rule, direction: direction, networkSets: networkSets, privateNetworks: privateNetworks)
                }) {
                    internetFlag = true
                    findings.append("\(word) \(direction == .ingress ? "from" : "to") the internet: rule \(allow.ruleIndex) of \(allow.origin)")
                }
                if !otherFlag {
                    let namespaces: RuleReading.PeerNamespaces
                    if let known = peerNamespaces[key] {
                        namespaces = known
                    } else {
                        namespaces = RuleReading.peerNamespaces(allow.rule, direction: direction, pods: pods)
                        peerNamespaces[key] = namespaces
                    }
                    otherFlag = namespaces.includesOtherThan(endpoint.key.namespace)
                }
            }
            if direction == .ingress {
                calico.ingressProtected = !typed.isEmpty
                calico.ingressFromInternet = calicoInternetFlag
                calico.ingressFromOtherNamespace = calicoOtherFlag
                assessed.ingressDefaultDeny = walk.defaultDeny
                assessed.ingressFromInternet = internetFlag
                assessed.ingressFromOtherNamespace = otherFlag
            } else {
                calico.egressProtected = !typed.isEmpty
                calico.egressToInternet = calicoInternetFlag
                calico.egressToOtherNamespace = calicoOtherFlag
                assessed.egressDefaultDeny = walk.defaultDeny
                assessed.egressToInternet = internetFlag
                assessed.egressToOtherNamespace = otherFlag
            }
        }
        return EndpointAssessment(
            key: endpoint.key, serviceAccount: endpoint.serviceAccount, aggregationPrefix: endpoint.aggregationPrefix,
            appliedPolicies: applied.map(\.calicoName), services: endpoint.services, calico: calico, assessed: assessed,
            findings: findings)
    }

    private static func cached(_ table: inout [RuleKey: Bool], _ key: RuleKey, _ compute: () -> Bool) -> Bool {
        if let known = table[key] { return known }
        let value = compute()
        table[key] = value
        return value
    }
}
