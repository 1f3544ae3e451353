import FlowCore

/// Numbering the values a block's dictionaries hold (each value once per block).
extension BlockEncoder {

    mutating func intern(_ s: String) -> Int {
        blockStrings.number(of: catalog.number(of: s)).number
    }

    /// The block number of catalog identity `global`; on its first use in the block, its
    /// strings and label set join the block's dictionaries by their catalog numbers (nothing is
    /// hashed).
    private mutating func blockNumber(identity global: Int) -> Int {
        let (number, isNew) = blockIdentities.number(of: global)
        if isNew {
            let parts = catalog.identityParts[global]
            _ = blockStrings.number(of: parts.namespace)
            _ = blockStrings.number(of: parts.name)
            _ = blockStrings.number(of: parts.aggregatedName)
            if blockLabelSets.number(of: parts.labels).isNew {
                for part in catalog.labelSetParts[parts.labels] {
                    _ = blockStrings.number(of: part.key)
                    _ = blockStrings.number(of: part.value)
                }
            }
            _ = blockStrings.number(of: parts.serviceAccount)
        }
        return number
    }

    /// The block number of catalog trace `global`, as `blockNumber(identity:)`.
    private mutating func blockNumber(trace global: Int) -> Int {
        let (number, isNew) = blockTraces.number(of: global)
        if isNew {
            for names in catalog.traceHitStrings[global] {
                _ = blockStrings.number(of: names.tier)
                _ = blockStrings.number(of: names.namespace)
                _ = blockStrings.number(of: names.name)
            }
        }
        return number
    }

    /// Identities and traces are found by box first (`partBoxes` names them without copying
    /// them), so an annotation is found by its part numbers and verdict: eight integers to
    /// hash instead of every string inside it.
    mutating func intern(_ annotation: FlowAnnotation) -> Int {
        let boxes = annotation.partBoxes
        let source = catalog.identityNumber(box: boxes.source) ?? catalog.number(of: annotation.source)
        let destination = catalog.identityNumber(box: boxes.destination) ?? catalog.number(of: annotation.destination)
        let egress = boxes.egress.map { catalog.traceNumber(box: $0) ?? catalog.number(of: annotation.egress!) }
        let ingress = boxes.ingress.map { catalog.traceNumber(box: $0) ?? catalog.number(of: annotation.ingress!) }
        let pendingEgress = boxes.pendingEgress.map { catalog.traceNumber(box: $0) ?? catalog.number(of: annotation.pendingEgress!) }
        let pendingIngress = boxes.pendingIngress.map { catalog.traceNumber(box: $0) ?? catalog.number(of: annotation.pendingIngress!) }
        func plusOne(_ trace: Int?, _ encoder: inout BlockEncoder) -> Int { trace.map { encoder.blockNumber(trace: $0) + 1 } ?? 0 }
        let parts = (blockNumber(identity: source), blockNumber(identity: destination), service(annotation.destinationService),
                     plusOne(egress, &self), plusOne(ingress, &self), plusOne(pendingEgress, &self), plusOne(pendingIngress, &self))
        let key = AnnotationKey(parts: parts, verdict: annotation.verdict)
        if let id = annotations[key] { return id }
        let id = annotationList.count
        annotations[key] = id
        annotationList.append(annotation)
        annotationParts.append(parts)
        return id
    }

    /// Most flows have no service.
    private mutating func service(_ name: String) -> Int { name.isEmpty ? emptyNode : intern(name) }

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
            id = domainSetList.count
            domainSets[domains] = id
            domainSetList.append(domains)
            domainSetStrings.append(domains.names.map { intern($0) })
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
