import FlowCore

extension FilterPredicate {
    /// Tests one flow. Identity tests are false for flows stored without an annotation.
    func evaluate(_ record: AnnotatedFlow) -> Bool {
        // Fields are read through `record.annotation?.…` chains rather than by binding the
        // annotation: binding copies the whole annotation (a score of references to retain and
        // release per flow); a chain reads just the one value.
        switch self {
        case .namespace(let side, let match):
            guard record.annotation != nil else { return false }
            return Self.either(side, match, record.annotation?.source.namespace, record.annotation?.destination.namespace)
        case .name(let side, let match):
            guard record.annotation != nil else { return false }
            return Self.either(side, match, record.annotation?.source.name, record.annotation?.destination.name)
        case .aggregatedName(let side, let match):
            guard record.annotation != nil else { return false }
            return Self.either(side, match, record.annotation?.source.aggregatedName,
                               record.annotation?.destination.aggregatedName)
        case .endpointKind(let side, let kind):
            guard record.annotation != nil else { return false }
            return Self.either(side, record.annotation?.source.kind == kind, record.annotation?.destination.kind == kind)
        case .labels(let side, let selector):
            guard record.annotation != nil else { return false }
            switch side {
            case .source: return selector.matches(record.annotation?.source.labels ?? [:])
            case .destination: return selector.matches(record.annotation?.destination.labels ?? [:])
            case .either:
                return selector.matches(record.annotation?.source.labels ?? [:])
                    || selector.matches(record.annotation?.destination.labels ?? [:])
            }
        case .address(let side, let prefix):
            switch side {
            case .source: return prefix.contains(record.flow.sourceAddress)
            case .destination: return prefix.contains(record.flow.destinationAddress)
            case .either: return prefix.contains(record.flow.sourceAddress) || prefix.contains(record.flow.destinationAddress)
            }
        case .port(let side, let op, let port):
            let p = UInt64(port)
            return Self.either(side, op.holds(UInt64(record.flow.sourcePort), p), op.holds(UInt64(record.flow.destinationPort), p))
        case .ipProtocol(let p):
            return record.flow.ipProtocol == p
        case .verdict(let v):
            return (record.annotation?.verdict ?? .unknown) == v
        case .action(let action):
            return Self.anyHit(record.annotation?.egress, action: action) || Self.anyHit(record.annotation?.ingress, action: action)
        case .pendingAction(let action):
            return Self.anyHit(record.annotation?.pendingEgress, action: action)
                || Self.anyHit(record.annotation?.pendingIngress, action: action)
        case .reporter(let reporter):
            return record.reporter == reporter
        case .tier(let tier):
            return Self.anyHit(record, where: .tier(tier))
        case .policy(let pattern):
            return Self.anyHit(record, where: .policy(pattern))
        case .counter(let counter, let op, let value):
            return op.holds(counter.value(of: record.flow), value)
        case .vlan(let op, let id):
            return record.flow.vlan != FlowRecord.noVLAN && op.holds(UInt64(record.flow.vlan), UInt64(id))
        case .node(let match):
            return match.matches(record.node)
        case .service(let match):
            guard let service = record.annotation?.destinationService else { return false }
            return match.matches(service)
        }
    }

    static func either(_ side: FlowSide, _ match: TextMatch, _ source: String?, _ destination: String?) -> Bool {
        switch side {
        case .source: return match.matches(source ?? "")
        case .destination: return match.matches(destination ?? "")
        case .either: return match.matches(source ?? "") || match.matches(destination ?? "")
        }
    }

    static func either(_ side: FlowSide, _ source: Bool, _ destination: Bool) -> Bool {
        switch side {
        case .source: return source
        case .destination: return destination
        case .either: return source || destination
        }
    }

    static func anyHit(_ trace: PolicyTrace?, action: PolicyAction) -> Bool {
        guard let trace else { return false }
        for hit in trace.hits where hit.action == action { return true }
        return false
    }

    enum HitTest {
        case tier(String)
        case policy(PolicyPattern)

            func matches(_ hit: PolicyHit) -> Bool {
            switch self {
            case .tier(let t): return hit.tier == t
            case .policy(let p): return p.matches(hit)
            }
        }
    }

    static func anyHit(_ record: AnnotatedFlow, where test: HitTest) -> Bool {
        anyHit(record.annotation?.egress, test) || anyHit(record.annotation?.ingress, test)
            || anyHit(record.annotation?.pendingEgress, test) || anyHit(record.annotation?.pendingIngress, test)
    }

    static func anyHit(_ trace: PolicyTrace?, _ test: HitTest) -> Bool {
        guard let trace else { return false }
        for hit in trace.hits where test.matches(hit) { return true }
        return false
    }
}

extension AnnotatedFlow {
    /// Calico's reporter: the last hit's side, so the destination when an ingress trace exists,
    /// the source when only an egress trace does, nil without either.
    var reporter: Reporter? {
        if let r = annotation?.ingress?.reporter { return r }
        return annotation?.egress?.reporter
    }
}
