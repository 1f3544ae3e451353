import Policy

/// One endpoint and direction read through the tiers in evaluation order, without a packet:
/// which Allow rules some packet can reach, and whether traffic no rule admits ends denied.
///
/// A rule is unreachable after a rule that matches every packet (a match-all Allow, Deny or
/// Pass) in the same tier, and every tier after one that no packet can leave undecided (its
/// default is Deny and no reachable Pass rule exists) is unreachable. Each tier is read on its
/// own, so "some packet passes tier 1" and "some packet passes tier 2" may be different packets:
/// the reading can call traffic reachable that no single packet reaches, never the reverse.
struct TierWalkReading {
    struct ReachableAllow {
        /// `GlobalNetworkPolicy(name)`, `Profile(name)`, …: for findings and memo keys.
        let origin: String
        let rule: PolicyRule
        let ruleIndex: Int
        /// The rule matches every packet for this endpoint.
        let matchesEverything: Bool
    }

    var reachableAllows: [ReachableAllow] = []
    /// Every tier selecting the endpoint lets some packet through undecided and a profile allows it.
    var fallsThroughToAllowingProfile = false
    /// The tier whose default (or match-all rule) ends the walk; nil when the walk reaches the profiles.
    var closingTier: String?
    var allowingProfile: String?

    var matchAllAllow: ReachableAllow? { reachableAllows.first { $0.matchesEverything } }
    var defaultDeny: Bool { !fallsThroughToAllowingProfile && matchAllAllow == nil }

    init(endpoint: ReportEndpoint, direction: PolicyDirection, tiers: [TierPolicies], profiles: [String: ClusterProfile]) {
        var reachesProfiles = true
        for tier in tiers {
            let selecting = tier.policies.filter { $0.hasType(direction) && $0.selects(endpoint) }
            if selecting.isEmpty { continue }
            var canLeave = false
            var closed = false
            policies: for policy in selecting {
                for (index, rule) in policy.rules(for: direction).enumerated() {
                    guard RuleReading.ownSideCanMatch(rule, direction: direction, endpoint: endpoint) else { continue }
                    let everything = RuleReading.matchesEverything(rule, direction: direction)
                    switch rule.action {
                    case .allow:
                        reachableAllows.append(ReachableAllow(origin: policy.calicoName, rule: rule, ruleIndex: index, matchesEverything: everything))
                    case .pass:
                        canLeave = true
                    case .deny, .log:
                        break
                    }
                    if everything && rule.action != .log {
                        closed = true
                        break policies
                    }
                }
            }
            if !closed && tier.tier.defaultAction == .pass { canLeave = true }
            if !canLeave {
                reachesProfiles = false
                closingTier = tier.tier.name
                break
            }
        }
        guard reachesProfiles else { return }
        // Profiles in order: one that allows everything ends the walk; a Profile resource's
        // rules are read like a policy's (Pass or no match moves on to the next profile).
        profileLoop: for profile in endpoint.profiles {
            if profile.allowsAll {
                fallsThroughToAllowingProfile = true
                allowingProfile = profile.name
                return
            }
            guard let resource = profiles[profile.name] else { continue }
            for (index, rule) in (direction == .ingress ? resource.ingress : resource.egress).enumerated() {
                guard RuleReading.ownSideCanMatch(rule, direction: direction, endpoint: endpoint) else { continue }
                let everything = RuleReading.matchesEverything(rule, direction: direction)
                if rule.action == .allow {
                    reachableAllows.append(ReachableAllow(origin: "Profile(\(resource.name))", rule: rule, ruleIndex: index,
                                                          matchesEverything: everything))
                }
                if everything && (rule.action == .allow || rule.action == .deny) { break profileLoop }
                if everything && rule.action == .pass { continue profileLoop }
            }
        }
    }
}

/// A tier and its enforced policies in evaluation order (staged policies enforce nothing).
struct TierPolicies {
    let tier: PolicyTier
    let policies: [ClusterPolicy]

    static func enforced(in cluster: Cluster) -> [TierPolicies] {
        cluster.tiers.map { tier in
            TierPolicies(tier: tier, policies: cluster.policies(inTier: tier.name).filter { !$0.kind.isStaged })
        }
    }
}
