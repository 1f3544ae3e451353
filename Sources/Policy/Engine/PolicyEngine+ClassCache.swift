import FlowCore

/// What the engine remembers about one address: the endpoint and network sets there (which the
/// identities need) and its match class (which the walks need).
struct AddressClass {
    let endpoint: Int
    let sets: [Int]
    let matchClass: Int
    /// `<ns>/<name>` of the service there, "" when none (see `EndpointIndex.service`).
    let service: String
}

/// An address in network sets, seen from an end of some entity class (-1: not an endpoint).
struct SetIdentityKey: Hashable {
    let address: IPAddress
    let otherClass: Int32
}

/// The verdict and traces of a flow, without the identities of its ends.
struct ClassDecision {
    let verdict: Verdict
    let egress: PolicyTrace?
    let ingress: PolicyTrace?
    let pendingEgress: PolicyTrace?
    let pendingIngress: PolicyTrace?
}

/// Everything a walk can observe: both ends by match class, and the packet fields rules test
/// (source port and ICMP type/code only when some rule looks at them).
struct ClassDecisionKey: Hashable {
    let source: Int32
    let destination: Int32
    let sourcePort: UInt16
    let destinationPort: UInt16
    let ipProtocol: UInt8
    let ipVersion: UInt8
    let icmp: UInt16
    /// The destination's domain names by interned number; 0 unless some rule has `domains`.
    let domains: Int32

    func hash(into hasher: inout Hasher) {
        var h = (UInt64(UInt32(bitPattern: source)) | UInt64(UInt32(bitPattern: destination)) << 32) &* 0x9E37_79B9_7F4A_7C15
        h ^= UInt64(sourcePort) | UInt64(destinationPort) << 16 | UInt64(ipProtocol) << 32 | UInt64(ipVersion) << 40
            | UInt64(icmp) << 48
        hasher.combine((h &+ UInt64(UInt32(bitPattern: domains))) &* 0xBF58_476D_1CE4_E5B9)
    }
}

extension PolicyEngine {
    /// Decides a flow whose address pair is not cached: walks only when no flow between ends of
    /// the same classes with the same packet fields was decided before.
    func decideByClass(_ flow: FlowRecord, domains: DomainNames, domainsID: Int32) -> FlowAnnotation {
        let source = addressClass(flow.sourceAddress)
        let destination = addressClass(flow.destinationAddress)
        let facts = FlowFacts(
            ipProtocol: flow.ipProtocol, ipVersion: flow.ipVersion, icmpType: flow.icmpType, icmpCode: flow.icmpCode,
            source: FlowSide(address: flow.sourceAddress, port: flow.sourcePort, endpoint: source.endpoint, sets: source.sets),
            destination: FlowSide(address: flow.destinationAddress, port: flow.destinationPort,
                                  endpoint: destination.endpoint, sets: destination.sets),
            destinationDomains: domains)
        let key = ClassDecisionKey(
            source: Int32(truncatingIfNeeded: source.matchClass), destination: Int32(truncatingIfNeeded: destination.matchClass),
            sourcePort: keysOnSourcePort && flow.ipProtocol.hasPorts ? flow.sourcePort : 0,
            destinationPort: flow.ipProtocol.hasPorts ? flow.destinationPort : 0,
            ipProtocol: flow.ipProtocol.rawValue, ipVersion: flow.ipVersion.rawValue,
            icmp: keysOnICMP && flow.ipProtocol.isICMP ? UInt16(flow.icmpType) << 8 | UInt16(flow.icmpCode) : 0,
            domains: domainsID)
        let decided: ClassDecision
        if let known = classDecisions[key] {
            decided = known
            classHits += 1
        } else {
            classWalks += 1
            decided = intern(evaluate(facts, log: nil))
            if classDecisions.count >= options.cacheCapacity { classDecisions.removeAll(keepingCapacity: true) }
            classDecisions[key] = decided
        }
        return FlowAnnotation(
            source: classIdentity(of: facts.source, other: facts.destination),
            destination: classIdentity(of: facts.destination, other: facts.source),
            destinationService: destination.service,
            verdict: decided.verdict, egress: decided.egress, ingress: decided.ingress,
            pendingEgress: decided.pendingEgress, pendingIngress: decided.pendingIngress)
    }

    /// `identity(of:other:)`, remembered for addresses in network sets: choosing the set compares
    /// every containing set's prefixes and names per flow, and depends only on the address and
    /// the other end's namespace (which its entity class fixes).
    private func classIdentity(of side: FlowSide, other: FlowSide) -> EndpointIdentity {
        if side.isEndpoint { return index.entities[side.endpoint].identity }
        if side.sets.isEmpty { return .calicoNetwork(side.address) }
        let key = SetIdentityKey(address: side.address,
                                 otherClass: other.isEndpoint ? Int32(truncatingIfNeeded: classes.entityClass(other.endpoint, in: index)) : -1)
        if let known = setIdentities[key] { return known }
        let found = identity(of: side, other: other)
        if setIdentities.count >= options.cacheCapacity { setIdentities.removeAll(keepingCapacity: true) }
        setIdentities[key] = found
        return found
    }

    func addressClass(_ address: IPAddress) -> AddressClass {
        if let known = addressClasses[address] { return known }
        let endpoint = index.endpoint(at: address) ?? -1
        let sets = index.networkSets(containing: address)
        let found = AddressClass(endpoint: endpoint, sets: sets,
                                 matchClass: classes.sideClass(address: address, endpoint: endpoint, sets: sets, in: index),
                                 service: index.service(for: address, endpoint: endpoint >= 0 ? endpoint : nil))
        // Class ids stay valid when this memo is emptied; only the per-address lookups are redone.
        if addressClasses.count >= options.cacheCapacity { addressClasses.removeAll(keepingCapacity: true) }
        addressClasses[address] = found
        return found
    }
}
