import FlowCore

extension PolicyEngine {
    /// Every criterion present must hold (§3); lists are OR, `not*` lists must all fail.
    /// `filtersFamily`: leave out rules whose CIDRs are all of the other IP family, as the
    /// dataplane does; the pending trace follows Felix's userspace evaluator, which compares
    /// addresses with CIDRs directly (so a v4-only `notNets` there matches an IPv6 flow).
    func matches(_ rule: CompiledRule, _ facts: FlowFacts, filtersFamily: Bool = true) -> Bool {
        if filtersFamily, let family = rule.cidrFamily, family != facts.ipVersion { return false }
        if let v = rule.ipVersion, v != facts.ipVersion { return false }
        if let p = rule.ipProtocol, p != facts.ipProtocol { return false }
        if let p = rule.notProtocol, p == facts.ipProtocol { return false }
        if let icmp = rule.icmp {
            guard facts.ipProtocol.isICMP, icmp.matches(type: facts.icmpType, code: facts.icmpCode) else { return false }
        }
        if let icmp = rule.notICMP, facts.ipProtocol.isICMP, icmp.matches(type: facts.icmpType, code: facts.icmpCode) {
            return false
        }
        return matches(rule.source, facts.source, facts) && matches(rule.destination, facts.destination, facts)
    }

    func matches(_ e: CompiledEntity, _ side: FlowSide, _ facts: FlowFacts) -> Bool {
        if !e.nets.isEmpty, !e.nets.contains(where: { $0.contains(side.address) }) { return false }
        if e.notNets.contains(where: { $0.contains(side.address) }) { return false }
        if e.selector >= 0, !anyCandidate(side, matches: e.selector) { return false }
        if e.notSelector >= 0, anyCandidate(side, matches: e.notSelector) { return false }
        if let service = e.service {
            guard let service, serviceContains(service, side) else { return false }
        }
        if !e.domains.isEmpty {
            // Only the destination carries names (the loader allows `domains` nowhere else).
            guard e.domains.contains(where: { facts.destinationDomains.contains(matching: $0) }) else { return false }
        }
        if !e.ports.isEmpty {
            guard facts.ipProtocol.hasPorts,
                  e.ports.contains(where: { portMatches($0, side, facts, selector: e.selector) }) else { return false }
        }
        if !e.notPorts.isEmpty, facts.ipProtocol.hasPorts,
           e.notPorts.contains(where: { portMatches($0, side, facts, selector: e.selector) }) {
            return false
        }
        return true
    }

    /// A selector matches an address when any endpoint or network set at that address matches
    /// (Calico turns selectors into IP sets); an unknown address has no candidates.
    func anyCandidate(_ side: FlowSide, matches selector: Int) -> Bool {
        if side.endpoint >= 0, memo.matches(selector, entity: side.endpoint) { return true }
        for set in side.sets where memo.matches(selector, entity: set) { return true }
        return false
    }

    /// Named ports resolve on the endpoint at that side: it must declare the name with the flow's
    /// protocol and number (and be one the rule's selector picks, when it has one).
    private func portMatches(_ port: PortMatch, _ side: FlowSide, _ facts: FlowFacts, selector: Int) -> Bool {
        switch port {
        case let .range(lo, hi):
            return side.port >= lo && side.port <= hi
        case let .named(name):
            guard side.endpoint >= 0 else { return false }
            if selector >= 0, !memo.matches(selector, entity: side.endpoint) { return false }
            return index.entities[side.endpoint].namedPorts.contains {
                $0.name == name && $0.ipProtocol == facts.ipProtocol && $0.port == side.port
            }
        }
    }

    private func serviceContains(_ service: ResolvedService, _ side: FlowSide) -> Bool {
        if service.clusterIPs.contains(side.address) { return true }
        guard side.endpoint >= 0, !service.selector.isEmpty else { return false }
        let e = index.entities[side.endpoint]
        guard e.kind == .workload, e.namespace == service.namespace else { return false }
        return service.selector.allSatisfy { e.identity.labels[$0.key] == $0.value }
    }
}
