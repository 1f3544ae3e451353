import FlowCore

extension FilterPredicate {
    /// Tests one flow. Identity tests are false for flows stored without an annotation.
    func evaluate(_ record: AnnotatedFlow) -> Bool {
        let flow = record.flow
        switch self {
        case .namespace(let side, let match):
            guard let a = record.annotation else { return false }
            return Self.either(side, match, a.source.namespace, a.destination.namespace)
        case .name(let side, let match):
            guard let a = record.annotation else { return false }
            return Self.either(side, match, a.source.name, a.destination.name)
        case .aggregatedName(let side, let match):
            guard let a = record.annotation else { return false }
            return Self.either(side, match, a.source.aggregatedName, a.destination.aggregatedName)
        case .endpointKind(let side, let kind):
            guard let a = record.annotation else { return false }
            return Self.either(side, a.source.kind == kind, a.destination.kind == kind)
        case .labels(let side, let selector):
            guard let a = record.annotation else { return false }
            switch side {
            case .source: return selector.matches(a.source.labels)
            case .destination: return selector.matches(a.destination.labels)
            case .either: return selector.matches(a.source.labels) || selector.matches(a.destination.labels)
            }
        case .address(let side, let prefix):
            switch side {
            case .source: return prefix.contains(flow.sourceAddress)
            case .destination: return prefix.contains(flow.destinationAddress)
            case .either: return prefix.contains(flow.sourceAddress) || prefix.contains(flow.destinationAddress)
            }
        case .port(let side, let op, let port):
            let p = UInt64(port)
            return Self.either(side, op.holds(UInt64(flow.sourcePort), p), op.holds(UInt64(flow.destinationPort), p))
        case .ipProtocol(let p):
            return flow.ipProtocol == p
        case .verdict(let v):
            return (record.annotation?.verdict ?? .unknown) == v
        case .action(let action):
            guard let a = record.annotation else { return false }
            return Self.anyHit(a.egress, action: action) || Self.anyHit(a.ingress, action: action)
        case .pendingAction(let action):
            guard let a = record.annotation else { return false }
            return Self.anyHit(a.pendingEgress, action: action) || Self.anyHit(a.pendingIngress, action: action)
        case .reporter(let reporter):
            return record.reporter == reporter
        case .tier(let tier):
            guard let a = record.annotation else { return false }
            return Self.anyHit(a, where: .tier(tier))
        case .policy(let pattern):
            guard let a = record.annotation else { return false }
            return Self.anyHit(a, where: .policy(pattern))
        case .counter(let counter, let op, let value):
            return op.holds(counter.value(of: flow), value)
        case .vlan(let op, let id):
            return flow.vlan != FlowRecord.noVLAN && op.holds(UInt64(flow.vlan), UInt64(id))
        case .node(let match):
            return match.matches(record.node)
        case .service(let match):
            guard let a = record.annotation else { return false }
            return match.matches(a.destinationService)
        }
    }

    static func either(_ side: FlowSide, _ match: TextMatch, _ source: String, _ destination: String) -> Bool {
        switch side {
        case .source: return match.matches(source)
        case .destination: return match.matches(destination)
        case .either: return match.matches(source) || match.matches(destination)
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

    static func anyHit(_ a: FlowAnnotation, where test: HitTest) -> Bool {
        anyHit(a.egress, test) || anyHit(a.ingress, test) || anyHit(a.pendingEgress, test) || anyHit(a.pendingIngress, test)
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
        if let ingress = annotation?.ingress { return ingress.reporter }
        if let egress = annotation?.egress { return egress.reporter }
        return nil
    }
}
