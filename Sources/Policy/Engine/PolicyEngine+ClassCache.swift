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
    /// The number of this verdict and these traces among the outcomes decided so far
    /// (`outcomeNumbers`): class decisions of other classes or packets that came out alike share
    /// it, and with it their annotations. -1 where not numbered (the plain path).
    var outcome: Int32 = -1
}

extension PolicyEngine {
    /// Decides a flow whose address pair is not cached: walks only when no flow between ends of
    /// the same classes with the same packet fields was decided before. Everything a walk can
    /// observe is in the class key: both ends by match class, and the packet fields rules test
    /// (source port and ICMP type/code only when some rule looks at them, the destination's
    /// domain names by interned number only when some rule has `domains`).
    func decideByClass(_ flow: FlowRecord, source: Int, destination: Int, domains: DomainNames, domainsID: Int32) -> FlowAnnotation {
        let sourceFacts = addresses.facts[source], destinationFacts = addresses.facts[destination]
        let key = classKey(flow, source: sourceFacts, destination: destinationFacts, domainsID: domainsID)
        let packet = key.b
        let decided: ClassDecision
        if let known = classDecisionNumbers.number(of: key) {
            decided = classDecisionList[known]
            classHits += 1
        } else {
            classWalks += 1
            decided = walkClasses(flow, source: source, destination: destination, domains: domains, key: key,
                                  ends: WalkEnds(sourceClass: sourceFacts.matchClass, destinationClass: destinationFacts.matchClass,
                                                 packet: packet, domainsID: domainsID))
        }
        let sourceIdentity = sourceFacts.identityNumber != AddressTable.Facts.chosenWithOtherEnd
            ? sourceFacts.identityNumber : setIdentityNumber(source, other: destination)
        let destinationIdentity = destinationFacts.identityNumber != AddressTable.Facts.chosenWithOtherEnd
            ? destinationFacts.identityNumber : setIdentityNumber(destination, other: source)
        return sharedAnnotation(source: sourceIdentity, destination: destinationIdentity,
                                service: destinationFacts.serviceNumber, destinationAddress: destination, decided)
    }

    /// The class table's key of a pair: both ends' match classes and the packet fields rules
    /// test (`decideByClass`).
    @inline(__always)
    func classKey(_ flow: FlowRecord, source: AddressTable.Facts, destination: AddressTable.Facts, domainsID: Int32) -> KeyNumbering.Key {
        let packet = packetWord(flow, sourcePort: keysOnSourcePort && flow.ipProtocol.hasPorts ? flow.sourcePort : 0,
                                version: flow.ipVersion.rawValue)
        return KeyNumbering.Key(
            a: UInt64(UInt32(bitPattern: source.matchClass)) << 32 | UInt64(UInt32(bitPattern: destination.matchClass)),
            b: packet, c: UInt32(bitPattern: domainsID))
    }

    /// The class walk for a key the class cache does not hold, kept under the key with its
    /// outcome numbered.
    private func walkClasses(_ flow: FlowRecord, source: Int, destination: Int, domains: DomainNames,
                             key: KeyNumbering.Key, ends: WalkEnds) -> ClassDecision {
        // Outcome numbers name trace numbers: both start afresh together, before the walk hands
        // out trace numbers.
        if outcomeNumbers.count >= options.cacheCapacity { forgetTraces() }
        let facts = FlowFacts(
            ipProtocol: flow.ipProtocol, ipVersion: flow.ipVersion, icmpType: flow.icmpType, icmpCode: flow.icmpCode,
            source: side(number: source, port: flow.sourcePort), destination: side(number: destination, port: flow.destinationPort),
            destinationDomains: domains)
        var decided = evaluate(facts, log: nil, ends: ends)
        let outcome = KeyNumbering.Key(
            a: UInt64(UInt32(bitPattern: decided.egress)) << 32 | UInt64(UInt32(bitPattern: decided.ingress)),
            b: UInt64(UInt32(bitPattern: decided.pendingEgress)) << 32 | UInt64(UInt32(bitPattern: decided.pendingIngress)),
            c: UInt32(decided.verdict.rawValue))
        decided.outcome = Int32(truncatingIfNeeded: outcomeNumbers.number(of: outcome) ?? outcomeNumbers.insert(outcome))
        if classDecisionNumbers.count >= options.cacheCapacity { forgetClassDecisions() }
        classDecisionNumbers.insert(key)
        classDecisionList.append(decided)
        return decided
    }

    /// The one annotation of its ends' identities, the destination's service and the outcome:
    /// a pair of ends met for the first time mostly comes out as an earlier pair did (pods of one
    /// workload, outside hosts, which all have one identity per kind), and then costs a probe
    /// and a reference count instead of a new box holding seven references. Every part of the key is
    /// an annotation number that names its value for the space's life (`AnnotationNumbers`), so
    /// the table starts afresh with the space (`forgetTraces`) or when full.
    private func sharedAnnotation(source: UInt32, destination: UInt32, service: UInt32, destinationAddress: Int,
                                  _ decided: ClassDecision) -> FlowAnnotation {
        let key = KeyNumbering.Key(a: UInt64(source) << 32 | UInt64(destination),
                                   b: UInt64(service) << 32 | UInt64(UInt32(bitPattern: decided.outcome)), c: 0)
        if let known = annotationNumbers.number(of: key) { return annotationList[known] }
        if annotationNumbers.count >= options.cacheCapacity { forgetAnnotations() }
        let made = FlowAnnotation(
            source: identity(number: source), destination: identity(number: destination),
            destinationService: addresses.service[destinationAddress],
            verdict: decided.verdict, egress: trace(decided.egress), ingress: trace(decided.ingress),
            pendingEgress: trace(decided.pendingEgress), pendingIngress: trace(decided.pendingIngress),
            numbers: AnnotationNumbers(
                space: numberSpace, source: source, destination: destination, service: service,
                egress: Self.numbered(decided.egress), ingress: Self.numbered(decided.ingress),
                pendingEgress: Self.numbered(decided.pendingEgress), pendingIngress: Self.numbered(decided.pendingIngress)))
        annotationNumbers.insert(key)
        annotationList.append(made)
        return made
    }

    /// A trace's number in `AnnotationNumbers`: its `traceTable` number + 1, 0 for none (-1).
    @inline(__always)
    static func numbered(_ trace: Int32) -> UInt32 { UInt32(bitPattern: trace &+ 1) }

    /// The flow end at a numbered address, as the walks see it.
    func side(number: Int, port: UInt16) -> FlowSide {
        FlowSide(address: addresses.address[number], port: port, endpoint: Int(addresses.facts[number].endpoint), sets: addresses.sets[number])
    }

    /// The identity number of an address in network sets and no endpoint, remembered per other
    /// end's entity class: choosing the set compares every containing set's prefixes and names
    /// and depends only on the address and the other end's namespace (which its entity class
    /// fixes).
    private func setIdentityNumber(_ number: Int, other: Int) -> UInt32 {
        let otherEndpoint = Int(addresses.facts[other].endpoint)
        let otherClass = otherEndpoint >= 0 ? classes.entityClass(otherEndpoint, in: index) : -1
        let key = KeyNumbering.Key(a: UInt64(number), b: UInt64(bitPattern: Int64(otherClass)), c: 0)
        if let known = setIdentityNumbers.number(of: key) { return setIdentityList[known] }
        let found = identityNumber(of: side(number: number, port: 0), other: side(number: other, port: 0))
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
        let identityNumber: UInt32
        if endpoint >= 0 {
            identityNumber = Self.identityNumber(entity: endpoint)
        } else if sets.isEmpty {
            identityNumber = Self.identityNumber(outside: address)
        } else {
            identityNumber = AddressTable.Facts.chosenWithOtherEnd
        }
        let service = index.service(for: address, endpoint: endpoint >= 0 ? endpoint : nil)
        let facts = AddressTable.Facts(
            endpoint: Int32(truncatingIfNeeded: endpoint),
            matchClass: Int32(truncatingIfNeeded: classes.sideClass(address: address, endpoint: endpoint, sets: sets, in: index)),
            identityNumber: identityNumber, serviceNumber: serviceNumber(service))
        return addresses.add(address, facts: facts, sets: sets, service: service)
    }
}
