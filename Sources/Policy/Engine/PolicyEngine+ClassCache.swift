import FlowCore

/// The verdict and traces of a flow, without the identities of its ends: traces by their number
/// in the engine's `traceTable` (-1: not walked), so a decision is plain data (no allocation, no
/// reference counting when the class cache stores or hands it out).
struct ClassDecision {
    let verdict: Verdict
    let egress: Int32
    let ingress: Int32
    let pendingEgress: Int32
    let pendingIngress: Int32
}

extension PolicyEngine {
    /// Decides a flow whose address pair is not cached: walks only when no flow between ends of
    /// the same classes with the same packet fields was decided before. Everything a walk can
    /// observe is in the class key: both ends by match class, and the packet fields rules test
    /// (source port and ICMP type/code only when some rule looks at them, the destination's
    /// domain names by interned number only when some rule has `domains`).
    func decideByClass(_ flow: FlowRecord, source: Int, destination: Int, domains: DomainNames, domainsID: Int32) -> FlowAnnotation {
        let sourceClass = addresses.matchClass[source], destinationClass = addresses.matchClass[destination]
        let packet = packetWord(flow, sourcePort: keysOnSourcePort && flow.ipProtocol.hasPorts ? flow.sourcePort : 0,
                                version: flow.ipVersion.rawValue)
        let key = KeyNumbering.Key(
            a: UInt64(UInt32(bitPattern: sourceClass)) << 32 | UInt64(UInt32(bitPattern: destinationClass)),
            b: packet, c: UInt32(bitPattern: domainsID))
        let decided: ClassDecision
        if let known = classDecisionNumbers.number(of: key) {
            decided = classDecisionList[known]
            classHits += 1
        } else {
            classWalks += 1
            let facts = FlowFacts(
                ipProtocol: flow.ipProtocol, ipVersion: flow.ipVersion, icmpType: flow.icmpType, icmpCode: flow.icmpCode,
                source: side(number: source, port: flow.sourcePort), destination: side(number: destination, port: flow.destinationPort),
                destinationDomains: domains)
            decided = evaluate(facts, log: nil, ends: WalkEnds(sourceClass: sourceClass, destinationClass: destinationClass,
                                                              packet: packet, domainsID: domainsID))
            if classDecisionNumbers.count >= options.cacheCapacity { forgetClassDecisions() }
            classDecisionNumbers.insert(key)
            classDecisionList.append(decided)
        }
        let sourceIdentity = endIdentity(source, other: destination)
        let destinationIdentity = endIdentity(destination, other: source)
        return FlowAnnotation(
            source: sourceIdentity.identity, destination: destinationIdentity.identity,
            destinationService: addresses.service[destination],
            verdict: decided.verdict, egress: trace(decided.egress), ingress: trace(decided.ingress),
            pendingEgress: trace(decided.pendingEgress), pendingIngress: trace(decided.pendingIngress),
            numbers: AnnotationNumbers(
                space: numberSpace, source: sourceIdentity.number, destination: destinationIdentity.number,
                service: addresses.serviceNumber[destination],
                egress: Self.numbered(decided.egress), ingress: Self.numbered(decided.ingress),
                pendingEgress: Self.numbered(decided.pendingEgress), pendingIngress: Self.numbered(decided.pendingIngress)))
    }

    /// A trace's number in `AnnotationNumbers`: its `traceTable` number + 1, 0 for none (-1).
    @inline(__always)
    static func numbered(_ trace: Int32) -> UInt32 { UInt32(bitPattern: trace &+ 1) }

    /// The flow end at a numbered address, as the walks see it.
    func side(number: Int, port: UInt16) -> FlowSide {
        FlowSide(address: addresses.address[number], port: port, endpoint: Int(addresses.endpoint[number]), sets: addresses.sets[number])
    }

    /// `identity(of:other:)` of a numbered address: fixed for most addresses; for an address in
    /// network sets (and no endpoint) it is remembered per other end's entity class, since choosing the set compares
    /// every containing set's prefixes and names and depends only on the address and the other
    /// end's namespace (which its entity class fixes).
    private func endIdentity(_ number: Int, other: Int) -> (identity: EndpointIdentity, number: UInt32) {
        if let fixed = addresses.identity[number] { return (fixed, addresses.identityNumber[number]) }
        let otherEndpoint = Int(addresses.endpoint[other])
        let otherClass = otherEndpoint >= 0 ? classes.entityClass(otherEndpoint, in: index) : -1
        let key = KeyNumbering.Key(a: UInt64(number), b: UInt64(bitPattern: Int64(otherClass)), c: 0)
        if let known = setIdentityNumbers.number(of: key) { return setIdentityList[known] }
        let found = numberedIdentity(of: side(number: number, port: 0), other: side(number: other, port: 0))
        if setIdentityNumbers.count >= options.cacheCapacity { forgetSetIdentities() }
        setIdentityNumbers.insert(key)
        setIdentityList.append(found)
        return found
    }

    /// The address's number in `addresses`, numbering it (and working out its endpoint, sets,
    /// class, service and identity) on first sight.
    func addressNumber(_ address: IPAddress) -> Int {
        if let known = addresses.number(of: address) { return known }
        let endpoint = index.endpoint(at: address) ?? -1
        let sets = index.networkSets(containing: address)
        let identity: EndpointIdentity?
        var identityNumber: UInt32 = 0
        if endpoint >= 0 {
            identity = index.entities[endpoint].identity
            identityNumber = Self.identityNumber(entity: endpoint)
        } else if sets.isEmpty {
            // One shared box (per kind of outside address), so every flow carries the same identity (the store numbers them by box).
            identity = .calicoNetwork(address)
            identityNumber = Self.identityNumber(outside: address)
        } else {
            identity = nil
        }
        let service = index.service(for: address, endpoint: endpoint >= 0 ? endpoint : nil)
        return addresses.add(address, endpoint: endpoint,
                             matchClass: classes.sideClass(address: address, endpoint: endpoint, sets: sets, in: index),
                             sets: sets, service: service, serviceNumber: serviceNumber(service),
                             identity: identity, identityNumber: identityNumber)
    }
}
