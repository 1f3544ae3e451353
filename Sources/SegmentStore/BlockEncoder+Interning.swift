import FlowCore

/// Numbering the values a block's dictionaries hold (each value once per block).
extension BlockEncoder {

    mutating func intern(_ s: String) -> Int {
        if let id = strings[s] { return id }
        let id = stringList.count
        strings[s] = id
        stringList.append(s)
        return id
    }

    mutating func intern(_ labels: [String: String]) -> Int {
        if let id = labelSets[labels] { return id }
        for (key, value) in labels {
            _ = intern(key)
            _ = intern(value)
        }
        let id = labelSetList.count
        labelSets[labels] = id
        labelSetList.append(labels)
        return id
    }

    mutating func intern(_ identity: EndpointIdentity) -> Int {
        if let known = identityByStorage[identity.storageIdentity] { return known }
        let id = internByValue(identity)
        identityByStorage[identity.storageIdentity] = id
        boxesNamed.identities.append(identity)
        return id
    }

    private mutating func internByValue(_ identity: EndpointIdentity) -> Int {
        if let id = identities[CheapKey(identity)] { return id }
        _ = intern(identity.namespace)
        _ = intern(identity.name)
        _ = intern(identity.aggregatedName)
        _ = intern(identity.labels)
        _ = intern(identity.serviceAccount)
        let id = identityList.count
        identities[CheapKey(identity)] = id
        identityList.append(identity)
        return id
    }

    mutating func intern(_ trace: PolicyTrace) -> Int {
        if let known = traceByStorage[trace.storageIdentity] { return known }
        let id = internByValue(trace)
        traceByStorage[trace.storageIdentity] = id
        boxesNamed.traces.append(trace)
        return id
    }

    private mutating func internByValue(_ trace: PolicyTrace) -> Int {
        if let id = traces[CheapKey(trace)] { return id }
        for hit in trace.hits {
            _ = intern(hit.tier)
            _ = intern(hit.namespace)
            _ = intern(hit.name)
        }
        let id = traceList.count
        traces[CheapKey(trace)] = id
        traceList.append(trace)
        return id
    }

    /// Identities and traces are numbered first (by box, usually a dictionary hit on an object
    /// identity), so an annotation is found by its part numbers and verdict: eight integers to
    /// hash instead of every string inside it.
    mutating func intern(_ annotation: FlowAnnotation) -> Int {
        func trace(_ t: PolicyTrace?) -> Int { t.map { intern($0) + 1 } ?? 0 }
        let parts = (intern(annotation.source), intern(annotation.destination), intern(annotation.destinationService),
                     trace(annotation.egress), trace(annotation.ingress), trace(annotation.pendingEgress), trace(annotation.pendingIngress))
        let key = AnnotationKey(parts: parts, verdict: annotation.verdict)
        if let id = annotations[key] { return id }
        let id = annotationList.count
        annotations[key] = id
        annotationList.append(annotation)
        annotationParts.append(parts)
        return id
    }

    mutating func intern(_ address: IPAddress) -> Int {
        if let id = addresses[address] { return id }
        let id = addressList.count
        addresses[address] = id
        addressList.append(address)
        return id
    }

    /// The few per-flow fields with few distinct values, packed: TCP flags out (bits 0–7) and
    /// in (8–15), status (16–31), ICMP type (32–39) and code (40–47).
    static func shape(_ f: FlowRecord) -> UInt64 {
        UInt64(f.tcpFlagsOut.rawValue) | UInt64(f.tcpFlagsIn.rawValue) << 8 | UInt64(f.status.rawValue) << 16
            | UInt64(f.icmpType) << 32 | UInt64(f.icmpCode) << 40
    }

    mutating func intern(shape: UInt64) -> Int {
        if let id = shapes[shape] { return id }
        let id = shapeList.count
        shapes[shape] = id
        shapeList.append(shape)
        return id
    }

    mutating func intern(domains: DomainNames) -> Int {
        if let box = domains.storageIdentity, let known = domainSetByStorage[box] { return known }
        let id: Int
        if let existing = domainSets[domains] {
            id = existing
        } else {
            for name in domains.names { _ = intern(name) }
            id = domainSetList.count
            domainSets[domains] = id
            domainSetList.append(domains)
        }
        if let box = domains.storageIdentity {
            domainSetByStorage[box] = id
            boxesNamed.domainSets.append(domains)
        }
        return id
    }

    mutating func intern(_ conversation: Conversation) -> Int {
        if let id = conversations[conversation] { return id }
        let id = conversationList.count
        conversations[conversation] = id
        conversationList.append(conversation)
        return id
    }
}

/// An annotation as the block numbers it: its parts' dictionary numbers and its verdict.
struct AnnotationKey: Hashable {
    let source: Int, destination: Int, service: Int
    let egress: Int, ingress: Int, pendingEgress: Int, pendingIngress: Int
    let verdict: UInt8

    init(parts: (Int, Int, Int, Int, Int, Int, Int), verdict: Verdict) {
        (source, destination, service, egress, ingress, pendingEgress, pendingIngress) = parts
        self.verdict = verdict.rawValue
    }
}
