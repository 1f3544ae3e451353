import FlowCore

/// Reads a raw block payload (see `BlockEncoder`) back into `AnnotatedFlow`s.
///
/// The dictionaries are decoded once per block into shared values: one prepared
/// `AnnotatedFlow` per conversation carries the annotation and node string that all its records
/// share, so a record costs a few varint reads into a trivially copyable `FlowRecord`; the scan
/// loop (`StoreReader.scan`, inlined into the caller) sets the prepared record's `flow` and lends
/// it to the visitor, with no allocation or reference counting per record.
struct BlockDecoder {
    /// Why a payload could not be decoded; the caller adds file and offset.
    struct Malformed: Error, CustomStringConvertible {
        var reason: String
        /// Byte offset in the raw (decompressed) payload, when it is about one value.
        var position: Int?
        var description: String { position.map { "\(reason) at raw payload byte \($0)" } ?? reason }
    }

    /// The per-record fields a conversation fixes.
    struct Route {
        var source: IPAddress
        var destination: IPAddress
        var destinationPort: UInt16
        var ipProtocol: IPProtocol
        var vlan: UInt16
        var innerVLAN: UInt16
    }



    private var strings: [String] = []
    private var labelSets: [[String: String]] = []
    private var identities: [EndpointIdentity] = []
    private var traces: [PolicyTrace] = []
    private var annotations: [FlowAnnotation] = []
    private var addresses: [IPAddress] = []
    private(set) var conversations: [Route] = []
    /// Scratch for one packed dictionary field.
    private var packed: [UInt64] = []
    /// Unpacked column values, reused from block to block.
    var values = [[UInt64]](repeating: [], count: BlockEncoder.columnCount)
    /// Per conversation, its prepared record in the decoded block's `templates`.
    private(set) var conversationTemplate: [Int32] = []
    /// What a prepared record fixes besides the flow: annotation + 1, node string, domain set + 1.
    private struct TemplateKey: Hashable {
        var annotation: Int
        var node: Int
        var domains: Int
    }
    private var templateOfPair: [TemplateKey: Int32] = [:]
    private var lastPair: (pair: TemplateKey, template: Int32) = (TemplateKey(annotation: -1, node: -1, domains: -1), 0)
    private var domainSets: [DomainNames] = []
    /// The format version of the block being decoded (its header's): older blocks lack parts.
    var payloadVersion: UInt16 = SegmentFormat.version
    private var shapes: [UInt64] = []
    /// Field-by-field staging for the annotation and conversation tables.
    private var fields: [[Int]] = Array(repeating: [], count: 8)

    init() {}

    /// The per-record part of a payload, after its dictionaries: one cursor per column.
    struct RecordColumns {
        var count: Int
        /// Nanoseconds per stored time unit.
        var unit: UInt64
        var baseEnd: UInt64
        var columns: [ByteCursor]
    }

    /// Decodes `raw` into `block`: every record overlapping `[since, until)` (start < until,
    /// end ≥ since; nil = unbounded) as a `FlowRecord` plus its conversation's number, and one
    /// prepared `AnnotatedFlow` per conversation. Returns how many records the block holds.
    mutating func decode(_ raw: UnsafeRawBufferPointer, since: Timestamp?, until: Timestamp?,
                         into block: inout _DecodedBlock) throws -> Int {
        do {
            block.count = 0
            block.records.removeAll(keepingCapacity: true)
            block.templateOfRecord.removeAll(keepingCapacity: true)
            var layout = try readLayout(raw, templates: &block.templates)
            try decodeRecords(count: layout.count, unit: layout.unit, baseEnd: layout.baseEnd, columns: &layout.columns,
                              since: since, until: until, into: &block)
            return layout.count
        } catch let overrun as ByteCursor.Overrun {
            throw Malformed(reason: "value out of range or past the end", position: overrun.position)
        }
    }

    /// Reads the payload's preamble and dictionaries and locates its columns.
    ///
    /// Without `annotations`, the dictionaries are checked but no string, label set, identity,
    /// trace or annotation is built: templates then carry no annotation and an empty node.
    mutating func readLayout(_ raw: UnsafeRawBufferPointer, templates: inout [AnnotatedFlow],
                             annotations materialize: Bool = true) throws -> RecordColumns {
        var c = ByteCursor(raw)
        let exponent = try c.u8()
        guard exponent <= 9, exponent % 3 == 0 else { throw Malformed(reason: "bad time unit \(exponent)", position: 0) }
        var unit: UInt64 = 1
        for _ in 0..<exponent { unit *= 10 }
        // The header's count was checked against the limit; this one must agree with it, and
        // bounds every table below, so no count in the payload can make a large allocation.
        let count = try c.index(below: Int(SegmentFormat.maximumBlockRecords) + 1)
        let baseEnd = try c.varint()
        templates.removeAll(keepingCapacity: true)
        try readDictionaries(&c, records: count, templates: &templates, materialize: materialize)

        var lengths = [Int](repeating: 0, count: BlockEncoder.columnCount)
        for i in 0..<BlockEncoder.columnCount { lengths[i] = try c.index(below: c.remaining + 1) }
        var columns = [ByteCursor]()
        columns.reserveCapacity(BlockEncoder.columnCount)
        var position = c.position
        for length in lengths {
            guard position + length <= raw.count else { throw Malformed(reason: "column past the payload", position: position) }
            columns.append(ByteCursor(raw, from: position, to: position + length))
            position += length
        }
        return RecordColumns(count: count, unit: unit, baseEnd: baseEnd, columns: columns)
    }

    /// Undoes `BlockEncoder.zigzag`.
    @inline(__always) static func unzigzag(_ v: UInt64) -> UInt64 {
        UInt64(bitPattern: Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1))
    }

    private mutating func decodeRecords(count: Int, unit: UInt64, baseEnd: UInt64, columns: inout [ByteCursor],
                               since: Timestamp?, until: Timestamp?, into block: inout _DecodedBlock) throws {
        let sinceNS = since?.nanoseconds ?? 0
        let untilNS = until?.nanoseconds ?? .max
        let bounded = until != nil
        var end = baseEnd
        let conversationCount = conversations.count
        block.records.reserveCapacity(count)
        block.templateOfRecord.reserveCapacity(count)
        for k in 0..<BlockEncoder.columnCount { try PackedColumn.decode(&columns[k], count: count, into: &values[k]) }
        // Locals, so the loop indexes plain arrays (no reference counting per access).
        let conversationOf = values[0], endDelta = values[1], duration = values[2], sourcePort = values[3]
        let packetsOut = values[4], bytesOut = values[5], packetsIn = values[6], bytesIn = values[7], shapeOf = values[8]
        do {
            for i in 0..<count {
                let c = Int(truncatingIfNeeded: conversationOf[i])
                guard c >= 0, c < conversationCount else { throw Malformed(reason: "conversation number out of range", position: nil) }
                end = end &+ Self.unzigzag(endDelta[i])
                let start = end &- Self.unzigzag(duration[i])
                let shapeIndex = Int(truncatingIfNeeded: shapeOf[i])
                guard shapeIndex >= 0, shapeIndex < shapes.count else { throw Malformed(reason: "shape number out of range", position: nil) }
                let shape = shapes[shapeIndex]
                let startNS = start &* unit, endNS = end &* unit
                if (bounded && startNS >= untilNS) || endNS < sinceNS { continue }
                let route = conversations[c]
                block.records.append(FlowRecord(
                    sourceAddress: route.source, destinationAddress: route.destination,
                    sourcePort: UInt16(truncatingIfNeeded: sourcePort[i]), destinationPort: route.destinationPort,
                    ipProtocol: route.ipProtocol, vlan: route.vlan, innerVLAN: route.innerVLAN,
                    icmpType: UInt8(truncatingIfNeeded: shape >> 32), icmpCode: UInt8(truncatingIfNeeded: shape >> 40),
                    start: Timestamp(nanoseconds: startNS), end: Timestamp(nanoseconds: endNS),
                    packetsOut: packetsOut[i], bytesOut: bytesOut[i], packetsIn: packetsIn[i], bytesIn: bytesIn[i],
                    tcpFlagsOut: TCPFlags(rawValue: UInt8(truncatingIfNeeded: shape)),
                    tcpFlagsIn: TCPFlags(rawValue: UInt8(truncatingIfNeeded: shape >> 8)),
                    status: FlowStatus(rawValue: UInt16(truncatingIfNeeded: shape >> 16))))
                block.templateOfRecord.append(conversationTemplate[c])
            }
        }
        block.count = block.records.count
    }

    // MARK: - Dictionaries

    /// Each record brings at most one conversation, annotation and shape and two addresses, so
    /// `records` bounds those tables (a packed column of width 0 takes no bytes, so the bytes
    /// left would not).
    private mutating func readDictionaries(_ c: inout ByteCursor, records: Int, templates: inout [AnnotatedFlow],
                                           materialize: Bool) throws {
        strings.removeAll(keepingCapacity: true)
        labelSets.removeAll(keepingCapacity: true)
        identities.removeAll(keepingCapacity: true)
        traces.removeAll(keepingCapacity: true)
        annotations.removeAll(keepingCapacity: true)
        addresses.removeAll(keepingCapacity: true)
        conversations.removeAll(keepingCapacity: true)
        conversationTemplate.removeAll(keepingCapacity: true)
        templateOfPair.removeAll(keepingCapacity: true)
        lastPair = (TemplateKey(annotation: -1, node: -1, domains: -1), 0)
        domainSets.removeAll(keepingCapacity: true)
        shapes.removeAll(keepingCapacity: true)

        // Each entry takes at least one byte, which bounds every count by what is left.
        let stringCount = try c.index(below: c.remaining + 1)
        if materialize {
            for _ in 0..<stringCount { strings.append(try c.string()) }
        } else {
            for _ in 0..<stringCount { try c.skip(try c.index(below: c.remaining + 1)) }
        }

        let labelSetCount = try c.index(below: c.remaining + 1)
        for _ in 0..<labelSetCount {
            let pairs = try c.index(below: c.remaining + 1)
            guard materialize else {
                for _ in 0..<(2 * pairs) { _ = try c.index(below: stringCount) }
                continue
            }
            var labels = [String: String](minimumCapacity: pairs)
            for _ in 0..<pairs {
                labels[strings[try c.index(below: stringCount)]] = strings[try c.index(below: stringCount)]
            }
            labelSets.append(labels)
        }

        let identityCount = try c.index(below: c.remaining + 1)
        for _ in 0..<identityCount {
            let at = c.position
            guard let kind = EndpointKind(rawValue: try c.u8()) else { throw Malformed(reason: "bad endpoint kind", position: at) }
            guard materialize else {
                for limit in [stringCount, stringCount, stringCount, labelSetCount, stringCount] { _ = try c.index(below: limit) }
                continue
            }
            let namespace = strings[try c.index(below: stringCount)]
            let name = strings[try c.index(below: stringCount)]
            let aggregated = strings[try c.index(below: stringCount)]
            let labels = labelSets[try c.index(below: labelSetCount)]
            let account = strings[try c.index(below: stringCount)]
            identities.append(EndpointIdentity(kind: kind, namespace: namespace, name: name, aggregatedName: aggregated,
                                               labels: labels, serviceAccount: account))
        }

        let traceCount = try c.index(below: c.remaining + 1)
        for _ in 0..<traceCount {
            let at = c.position
            guard let reporter = Reporter(rawValue: try c.u8()), let action = Verdict(rawValue: try c.u8()) else {
                throw Malformed(reason: "bad trace reporter or action", position: at)
            }
            let hitCount = try c.index(below: c.remaining + 1)
            var hits: [PolicyHit] = []
            if materialize { hits.reserveCapacity(hitCount) }
            for _ in 0..<hitCount {
                let index = Int(try c.signed())
                let tier = try c.index(below: stringCount)
                let kindAt = c.position
                guard let kind = PolicyKind(rawValue: try c.u8()) else { throw Malformed(reason: "bad policy kind", position: kindAt) }
                let namespace = try c.index(below: stringCount)
                let name = try c.index(below: stringCount)
                let actionAt = c.position
                guard let hitAction = PolicyAction(rawValue: try c.u8()) else { throw Malformed(reason: "bad policy action", position: actionAt) }
                let rule = Int(try c.signed())
                guard materialize else { continue }
                hits.append(PolicyHit(index: index, tier: strings[tier], kind: kind, namespace: strings[namespace], name: strings[name],
                                      action: hitAction, ruleIndex: rule))
            }
            if materialize { traces.append(PolicyTrace(reporter: reporter, action: action, hits: hits)) }
        }

        let annotationCount = try c.index(below: min(c.remaining, records) + 1)
        try readFields(&c, count: annotationCount, limits: [identityCount, identityCount, stringCount])
        var verdicts = [Verdict](repeating: .unknown, count: annotationCount)
        let verdictAt = c.position
        for (i, raw) in try readFieldArrays(&c, count: annotationCount, limits: [256])[0].enumerated() {
            guard let verdict = Verdict(rawValue: UInt8(raw)) else { throw Malformed(reason: "bad verdict", position: verdictAt) }
            verdicts[i] = verdict
        }
        let traceFields = try readFieldArrays(&c, count: annotationCount, limits: Array(repeating: traceCount + 1, count: 4))
        for i in 0..<annotationCount where materialize {
            func trace(_ k: Int) -> PolicyTrace? { traceFields[k][i] == 0 ? nil : traces[traceFields[k][i] - 1] }
            annotations.append(FlowAnnotation(source: identities[fields[0][i]], destination: identities[fields[1][i]],
                                              destinationService: strings[fields[2][i]], verdict: verdicts[i],
                                              egress: trace(0), ingress: trace(1), pendingEgress: trace(2), pendingIngress: trace(3)))
        }

        // IPv4 addresses ascending as packed deltas, then IPv6 addresses as 16 bytes each.
        let v4Count = try c.index(below: min(c.remaining * 8, 2 * records) + 1)
        try PackedColumn.decode(&c, count: v4Count, into: &packed)
        var v4: UInt64 = 0
        for delta in packed {
            v4 = v4 &+ delta
            guard v4 <= UInt64(UInt32.max) else { throw Malformed(reason: "IPv4 address out of range", position: c.position) }
            addresses.append(IPAddress(ipv4: UInt32(v4)))
        }
        for _ in 0..<(try c.index(below: min(c.remaining / 16, 2 * records) + 1)) {
            addresses.append(IPAddress(ipv6High: UInt64(bigEndian: try c.u64()), low: UInt64(bigEndian: try c.u64())))
        }

        // Conversations by source then destination: sources as deltas.
        let conversationCount = try c.index(below: min(c.remaining * 8, records) + 1)
        try PackedColumn.decode(&c, count: conversationCount, into: &packed)
        fields[0].removeAll(keepingCapacity: true)
        var source = 0
        for delta in packed {
            guard delta < UInt64(addresses.count) else { throw Malformed(reason: "address reference out of range", position: c.position) }
            source += Int(delta)
            guard source < addresses.count else { throw Malformed(reason: "address reference out of range", position: c.position) }
            fields[0].append(source)
        }
        fields[1] = try readFieldArrays(&c, count: conversationCount, limits: [addresses.count])[0]
        let portsAndProtocols = try readFieldArrays(&c, count: conversationCount, limits: [1 << 16, 256])
        let ports = portsAndProtocols[0].map { UInt16($0) }, protocols = portsAndProtocols[1].map { UInt8($0) }
        let rest = try readFieldArrays(&c, count: conversationCount, limits: [1 << 16, 1 << 16, annotationCount + 1, stringCount])
        var domainsOf: [Int] = []
        if payloadVersion >= SegmentFormat.domainsVersion {
            let setCount = try c.index(below: c.remaining + 1)
            for _ in 0..<setCount {
                let names = try c.index(below: c.remaining + 1)
                var list: [String] = []
                for _ in 0..<names {
                    let s = try c.index(below: stringCount)
                    if materialize { list.append(strings[s]) }
                }
                domainSets.append(materialize ? DomainNames(list) : .none)
            }
            domainsOf = try readFieldArrays(&c, count: conversationCount, limits: [setCount + 1])[0]
        }
        for i in 0..<conversationCount {
            let annotation = rest[2][i]
            let domains = domainsOf.isEmpty ? 0 : domainsOf[i]
            let route = Route(source: addresses[fields[0][i]], destination: addresses[fields[1][i]],
                              destinationPort: ports[i], ipProtocol: IPProtocol(rawValue: protocols[i]),
                              vlan: UInt16(truncatingIfNeeded: rest[0][i] &- 1),
                              innerVLAN: UInt16(truncatingIfNeeded: rest[1][i] &- 1))
            conversations.append(route)
            // Records only borrow annotation and node from their prepared record (the scan sets
            // the whole `flow`), so conversations with the same pair share one.
            let pair = materialize ? TemplateKey(annotation: annotation, node: rest[3][i], domains: domains)
                : TemplateKey(annotation: 0, node: 0, domains: 0)
            // Neighbours (sorted by source) mostly share their pair: skip the hash lookup then.
            if pair == lastPair.pair {
                conversationTemplate.append(lastPair.template)
                continue
            }
            if let shared = templateOfPair[pair] {
                lastPair = (pair, shared)
                conversationTemplate.append(shared)
                continue
            }
            let placeholder = FlowRecord(sourceAddress: route.source, destinationAddress: route.destination,
                                         ipProtocol: route.ipProtocol, start: .zero, end: .zero)
            templateOfPair[pair] = Int32(templates.count)
            lastPair = (pair, Int32(templates.count))
            conversationTemplate.append(Int32(templates.count))
            templates.append(materialize
                ? AnnotatedFlow(flow: placeholder, annotation: annotation == 0 ? nil : annotations[annotation - 1], node: strings[rest[3][i]],
                                destinationDomains: domains == 0 ? .none : domainSets[domains - 1])
                : AnnotatedFlow(flow: placeholder))
        }

        for _ in 0..<(try c.index(below: min(c.remaining / 8, records) + 1)) { shapes.append(try c.u64()) }
    }

    /// Reads `limits.count` packed fields of `count` values each into `fields[0…]`, each
    /// value checked against its limit.
    private mutating func readFields(_ c: inout ByteCursor, count: Int, limits: [Int]) throws {
        for (k, limit) in limits.enumerated() {
            try PackedColumn.decode(&c, count: count, into: &packed)
            fields[k].removeAll(keepingCapacity: true)
            for v in packed {
                guard v < UInt64(limit) else { throw Malformed(reason: "dictionary reference out of range", position: c.position) }
                fields[k].append(Int(v))
            }
        }
    }

    private mutating func readFieldArrays(_ c: inout ByteCursor, count: Int, limits: [Int]) throws -> [[Int]] {
        var result: [[Int]] = []
        for limit in limits {
            try PackedColumn.decode(&c, count: count, into: &packed)
            var values = [Int]()
            values.reserveCapacity(count)
            for v in packed {
                guard v < UInt64(limit) else { throw Malformed(reason: "dictionary reference out of range", position: c.position) }
                values.append(Int(v))
            }
            result.append(values)
        }
        return result
    }
}

/// One decoded block, as the inlined scan loop consumes it. Not API (underscored): public
/// only so `StoreReader.scan` can be specialised for the caller's visitor.
public struct _DecodedBlock {
    /// Records kept (inside the scan's time range).
    @usableFromInline var count = 0
    @usableFromInline var records: [FlowRecord] = []
    /// Per record, the index of its prepared record in `templates`.
    @usableFromInline var templateOfRecord: [Int32] = []
    /// Per distinct (annotation, node) of the block, a record with both filled in.
    @usableFromInline var templates: [AnnotatedFlow] = []

    @usableFromInline init() {}
}
