import FlowCore

extension FilterPredicate {
    /// Tests one flow. Identity tests are false for flows stored without an annotation.
    /// `annotation` is the record's annotation, borrowed (the caller matched on the optional
    /// once per flow), or a stand-in with `annotated` false.
    func evaluate(_ record: AnnotatedFlow, _ a: FlowAnnotation, annotated: Bool) -> Bool {
        switch self {
        case .namespace(let side, let match):
            guard annotated else { return false }
            return Self.either(side, match, a.source.namespace, a.destination.namespace)
        case .name(let side, let match):
            guard annotated else { return false }
            return Self.either(side, match, a.source.name, a.destination.name)
        case .aggregatedName(let side, let match):
            guard annotated else { return false }
            return Self.either(side, match, a.source.aggregatedName,
                               a.destination.aggregatedName)
        case .endpointKind(let side, let kind):
            guard annotated else { return false }
            return Self.either(side, a.source.kind == kind, a.destination.kind == kind)
        case .labels(let side, let selector):
            guard annotated else { return false }
            switch side {
            case .source: return selector.matches(a.source.labels)
            case .destination: return selector.matches(a.destination.labels)
            case .either:
                return selector.matches(a.source.labels)
                    || selector.matches(a.destination.labels)
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
            return (annotated ? a.verdict : .unknown) == v
        case .pendingVerdict(let v):
            return (annotated ? a.pendingVerdict : .unknown) == v
        case .wouldChange(let wanted):
            return annotated && (a.pendingVerdict != a.verdict) == wanted
        case .policyAction(let action):
            return annotated && (Self.anyHit(a.egress, action: action) || Self.anyHit(a.ingress, action: action))
        case .reporter(let reporter):
            guard annotated else { return false }
            if let r = a.ingress?.reporter { return r == reporter }
            return a.egress?.reporter == reporter
        case .tier(let tier):
            return annotated && Self.anyHit(a, where: .tier(tier))
        case .policy(let pattern):
            return annotated && Self.anyHit(a, where: .policy(pattern))
        case .counter(let counter, let op, let value):
            return op.holds(counter.value(of: record.flow, reportedByDestination: annotated && a.reportsAtDestination), value)
        case .vlan(let op, let id):
            return record.flow.vlan != FlowRecord.noVLAN && op.holds(UInt64(record.flow.vlan), UInt64(id))
        case .node(let match):
            return match.matches(record.node)
        case .service(let match):
            return annotated && match.matches(a.destinationService)
        case .domain(let pattern):
            return record.destinationDomains.contains(matching: pattern)
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
