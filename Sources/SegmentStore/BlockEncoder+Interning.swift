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
        // Block numbers in this order (source, destination, service, traces): the order a
        // block's dictionary lists what is new to it.
        let key = AnnotationKey(source: blockNumber(identity: source), destination: blockNumber(identity: destination),
                                service: service(annotation.destinationService),
                                egress: plusOne(egress, &self), ingress: plusOne(ingress, &self),
                                pendingEgress: plusOne(pendingEgress, &self), pendingIngress: plusOne(pendingIngress, &self),
                                verdict: annotation.verdict)
        return content.annotations.number(of: key)
    }

    /// The block number of an annotation that carries its producer's numbers, found through
    /// `numberedParts` (arrays by the producer's numbers) without reading the annotation's
    /// boxes, except the first time a number is met: then the part is numbered by value, as
    /// `intern(_: FlowAnnotation)` numbers it, so both give the same numbers in the same order.
    /// nil when a number is beyond what `numberedParts` keeps (the caller takes the plain path).
    mutating func intern(numbered n: AnnotationNumbers, _ annotation: FlowAnnotation) -> Int? {
        if n.space != numberedParts.space { numberedParts.start(space: n.space) }
        guard let source = numberedParts.identity(n.source) ?? numberIdentity(n.source, annotation.source),
              let destination = numberedParts.identity(n.destination) ?? numberIdentity(n.destination, annotation.destination),
              let service = n.service == 0 ? -1 : numberedParts.service(n.service) ?? numberService(n.service, annotation.destinationService),
              let egress = n.egress == 0 ? -1 : numberedParts.trace(n.egress) ?? numberTrace(n.egress, annotation.egress),
              let ingress = n.ingress == 0 ? -1 : numberedParts.trace(n.ingress) ?? numberTrace(n.ingress, annotation.ingress),
              let pendingEgress = n.pendingEgress == 0 ? -1
                : numberedParts.trace(n.pendingEgress) ?? numberTrace(n.pendingEgress, annotation.pendingEgress),
              let pendingIngress = n.pendingIngress == 0 ? -1
                : numberedParts.trace(n.pendingIngress) ?? numberTrace(n.pendingIngress, annotation.pendingIngress)
        else { return nil }
        @inline(__always)
        func plusOne(_ trace: Int, _ encoder: inout BlockEncoder) -> Int { trace < 0 ? 0 : encoder.blockNumber(trace: trace) + 1 }
        let key = AnnotationKey(source: blockNumber(identity: source), destination: blockNumber(identity: destination),
                                service: service < 0 ? emptyNode : blockStrings.number(of: service).number,
                                egress: plusOne(egress, &self), ingress: plusOne(ingress, &self),
                                pendingEgress: plusOne(pendingEgress, &self), pendingIngress: plusOne(pendingIngress, &self),
                                verdict: annotation.verdict)
        return content.annotations.number(of: key)
    }

    /// First sight of a producer's number (see `intern(numbered:_:)`): the part's catalog number
    /// by value, kept under the producer's number; nil when the number is out of bounds.
    private mutating func numberIdentity(_ number: UInt32, _ identity: EndpointIdentity) -> Int? {
        guard NumberedParts.holds(number) else { return nil }
        let global = catalog.number(of: identity)
        numberedParts.setIdentity(number, global)
        return global
    }

    private mutating func numberService(_ number: UInt32, _ name: String) -> Int? {
        guard NumberedParts.holds(number) else { return nil }
        // A producer numbering "" (it keeps 0 for it) still gets the plain path's number.
        let global = catalog.number(of: name)
        numberedParts.setService(number, global)
        return global
    }

    private mutating func numberTrace(_ number: UInt32, _ trace: PolicyTrace?) -> Int? {
        // Numbers promise a trace where the annotation has one; one that has none is not
        // numbered as the plain path would number it.
        guard NumberedParts.holds(number), let trace else { return nil }
        let global = catalog.number(of: trace)
        numberedParts.setTrace(number, global)
        return global
    }

    /// Most flows have no service.
    private mutating func service(_ name: String) -> Int { name.isEmpty ? emptyNode : intern(name) }

    mutating func intern(_ address: IPAddress) -> Int { content.addresses.number(of: address) }

    /// The few per-flow fields with few distinct values, packed: TCP flags out (bits 0–7) and
    /// in (8–15), status (16–31), ICMP type (32–39) and code (40–47).
    static func shape(_ f: FlowRecord) -> UInt64 {
        UInt64(f.tcpFlagsOut.rawValue) | UInt64(f.tcpFlagsIn.rawValue) << 8 | UInt64(f.status.rawValue) << 16
            | UInt64(f.icmpType) << 32 | UInt64(f.icmpCode) << 40
    }

    mutating func intern(shape: UInt64) -> Int { content.shapes.number(of: shape) }

    mutating func intern(domains: DomainNames) -> Int {
        if let box = domains.storageIdentity, let known = domainSetByStorage[box] { return known }
        let id: Int
        if let existing = domainSets[domains] {
            id = existing
        } else {
            id = content.domainSetStrings.count
            domainSets[domains] = id
            let strings = domains.names.map { intern($0) }
            content.domainSetStrings.append(strings)
        }
        if let box = domains.storageIdentity {
            domainSetByStorage[box] = id
            boxesNamed.domainSets.append(domains)
        }
        return id
    }

    mutating func intern(_ conversation: Conversation) -> Int { content.conversations.number(of: conversation) }
}

/// An annotation as the block numbers it: its parts' dictionary numbers (identities, the
/// service string, trace numbers + 1) and its verdict.
struct AnnotationKey: DenseKey {
    let source: Int, destination: Int, service: Int
    let egress: Int, ingress: Int, pendingEgress: Int, pendingIngress: Int
    let verdict: Verdict

    var denseHash: UInt64 {
        var h = DenseHash.mix(UInt64(truncatingIfNeeded: source) << 32, UInt64(truncatingIfNeeded: destination))
        h = DenseHash.mix(h, UInt64(truncatingIfNeeded: service) << 8 | UInt64(verdict.rawValue))
        h = DenseHash.mix(h, UInt64(truncatingIfNeeded: egress) << 32 ^ UInt64(truncatingIfNeeded: ingress))
        return DenseHash.mix(h, UInt64(truncatingIfNeeded: pendingEgress) << 32 ^ UInt64(truncatingIfNeeded: pendingIngress))
    }
}

extension BlockEncoder.Conversation: DenseKey {
    var denseHash: UInt64 {
        var h = DenseHash.mix(UInt64(truncatingIfNeeded: route.source) << 32, UInt64(truncatingIfNeeded: route.destination))
        h = DenseHash.mix(h, UInt64(route.destinationPort) << 48 | UInt64(route.ipProtocol) << 40 | UInt64(route.vlan) << 16
                             | UInt64(route.innerVLAN))
        h = DenseHash.mix(h, UInt64(truncatingIfNeeded: annotation) << 32 ^ UInt64(truncatingIfNeeded: domains))
        return DenseHash.mix(h, UInt64(truncatingIfNeeded: route.node))
    }
}
