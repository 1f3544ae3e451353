import FlowCore

extension PolicyEngine {
    /// §1.3 for one endpoint and direction: tiers in order, policies in order, rules in order;
    /// Pass leaves the tier, Log carries on, the tier's default action applies when no policy
    /// decided (attributed to the last selecting policy, or the first on the pending path);
    /// profiles decide when every tier passed.
    func walk(endpoint: Int, direction: PolicyDirection, facts: FlowFacts, pending: Bool, log: PolicyWalkLog?) -> Int32 {
        let reporter: Reporter = direction == .egress ? .source : .destination
        hitWords.removeAll(keepingCapacity: true)
        let tiers = plan(for: endpoint).tiers(direction, pending: pending)
        log?.depth += 1
        defer { log?.depth -= 1 }
        if tiers.isEmpty { log?.add("no policy in any tier selects this endpoint for \(direction)") }
        for (t, selected) in tiers {
            // The tier itself only for the log: copying it retains its name on every walk.
            let defaultAction = tierDefaultActions[t]
            if let log {
                let tier = tierPlans[t].tier
                log.add("tier \(tier.name) (order \(tier.order.map { formatOrder($0) } ?? "none"), default \(tier.defaultAction)): \(selected.count) selecting \(selected.count == 1 ? "policy" : "policies")")
            }
            log?.depth += 1
            var passed = false
            policyLoop: for p in selected {
                // Policies and rules are read in place: copying one retains every member.
                log?.add("\(policies[p].policy.kind):\(policies[p].policy.namespace.isEmpty ? "" : policies[p].policy.namespace + "/")\(policies[p].policy.name) (order \(policies[p].policy.order.map { formatOrder($0) } ?? "none"))")
                let rules = direction == .ingress ? ingressRules[p] : egressRules[p]
                for r in rules.indices {
                    guard matches(rules[r], facts, filtersFamily: !pending) else {
                        if let log, !pending, let family = rules[r].cidrFamily, family != facts.ipVersion {
                            log.add("  rule \(r): only IPv\(family.rawValue) CIDRs; Felix renders no IPv\(facts.ipVersion.rawValue) rule for it")
                        }
                        continue
                    }
                    let ruleAction = rules[r].action
                    switch ruleAction {
                    case .log:
                        log?.add("  rule \(r) Log: matched, logged, evaluation continues")
                    case .allow, .deny:
                        let action: PolicyAction = ruleAction == .allow ? .allow : .deny
                        log?.add("  rule \(r) \(ruleAction.rawValue): matched → \(action)")
                        hitWords.append(TraceWords.policy(p, action: action, ruleIndex: r))
                        log?.depth -= 1
                        return trace(reporter: reporter, action: action == .allow ? .allow : .deny)
                    case .pass:
                        log?.add("  rule \(r) Pass: matched → next tier")
                        hitWords.append(TraceWords.policy(p, action: .pass, ruleIndex: r))
                        passed = true
                        break policyLoop
                    }
                }
                if log != nil { log?.add(rules.isEmpty ? "  no \(direction) rules" : "  no rule matched") }
            }
            log?.depth -= 1
            if passed { continue }
            let attributed = pending ? selected[0] : selected[selected.count - 1]
            hitWords.append(TraceWords.policy(attributed, action: defaultAction, ruleIndex: -1))
            log?.add("  end of tier \(tierPlans[t].tier.name): default action \(defaultAction) (attributed to \(policies[attributed].policy.name), "
                     + (selected.count == 1 ? "the one selecting policy)"
                        : pending ? "the first selecting policy, as Calico's pending trace names it)"
                        : "the last selecting policy, as Calico's enforced trace names it)"))
            if defaultAction == .deny {
                return trace(reporter: reporter, action: .deny)
            }
        }
        let profiles = entityProfiles[endpoint]
        for profile in profiles {
            let name = profileNames[profile.name]
            if profile.allows {
                log?.add("profile \(name): allow")
                hitWords.append(TraceWords.profile(profile.name, action: .allow, ruleIndex: 0))
                return trace(reporter: reporter, action: .allow)
            }
            if let decided = walkProfile(name, direction: direction, facts: facts, pending: pending, log: log) {
                hitWords.append(TraceWords.profile(profile.name, action: decided.action, ruleIndex: decided.rule))
                return trace(reporter: reporter, action: decided.action == .allow ? .allow : .deny)
            }
        }
        // The dataplane's "no profile matched" drop; the userspace (pending) evaluator names it differently.
        log?.add(profiles.isEmpty ? "no profiles: default deny" : "no profile allows: deny")
        hitWords.append(TraceWords.noProfileMatched(pending: pending))
        return trace(reporter: reporter, action: .deny)
    }

    /// The number in `traceTable` of the trace of the hits in `hitWords`: the one built before for
    /// the same hits, else a new one (the only place a walk's hits become strings).
    private func trace(reporter: Reporter, action: Verdict) -> Int32 {
        hitWords.append(TraceWords.header(reporter: reporter, action: action))
        if let known = traceNumbers[hitWords] { return known }
        var hits: [PolicyHit] = []
        hits.reserveCapacity(hitWords.count - 1)
        for word in hitWords.dropLast() { hits.append(hit(word, index: hits.count)) }
        // `evaluate` keeps the table within its capacity (between decisions, as class decisions
        // and direction walks hold these numbers).
        let number = Int32(traceTable.count)
        traceTable.append(PolicyTrace(reporter: reporter, action: action, hits: hits))
        traceActions.append(action)
        traceNumbers[hitWords] = number
        return number
    }

    /// A trace entry from its word: a policy's from the copy of its identity kept for this (the
    /// policy itself is large, and reading fields through it risks copying all of it).
    private func hit(_ word: UInt64, index: Int) -> PolicyHit {
        let (kind, number, action, ruleIndex) = TraceWords.fields(word)
        switch kind {
        case .policy, .header:
            var hit = hitTemplates[number]
            hit.index = index
            hit.action = action
            hit.ruleIndex = ruleIndex
            return hit
        case .profile:
            return PolicyHit(index: index, tier: PolicyHit.profileTier, kind: .profile, name: profileNames[number],
                             action: action, ruleIndex: ruleIndex)
        case .noProfileMatched:
            // The pending form is marked by its rule index (-1).
            return PolicyHit(index: index, tier: PolicyHit.profileTier, kind: .profile,
                             name: ruleIndex < 0 ? PolicyHit.profileTier : "__NO_MATCH__", action: .deny, ruleIndex: ruleIndex)
        }
    }

    /// A `Profile` resource's rules for one direction: the first Allow or Deny decides; Log
    /// carries on; Pass, or no rule matching, moves on to the endpoint's next profile.
    private func walkProfile(_ name: String, direction: PolicyDirection, facts: FlowFacts, pending: Bool,
                             log: PolicyWalkLog?) -> (action: PolicyAction, rule: Int)? {
        guard let profile = profiles[name] else {
            log?.add("profile \(name): no rules")
            return nil
        }
        let rules = profile.rules(direction)
        for r in rules.indices where matches(rules[r], facts, filtersFamily: !pending) {
            switch rules[r].action {
            case .log:
                log?.add("profile \(name) rule \(r) Log: matched, logged, evaluation continues")
            case .allow, .deny:
                let action: PolicyAction = rules[r].action == .allow ? .allow : .deny
                log?.add("profile \(name) rule \(r) \(rules[r].action.rawValue): matched → \(action)")
                return (action, r)
            case .pass:
                log?.add("profile \(name) rule \(r) Pass: matched → next profile")
                return nil
            }
        }
        log?.add("profile \(name): \(rules.isEmpty ? "no \(direction) rules" : "no rule matched")")
        return nil
    }

    private func formatOrder(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}
