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



    private var strings: [String] = []
    private var labelSets: [[String: String]] = []
    private var identities: [EndpointIdentity] = []
    private var traces: [PolicyTrace] = []
    private var annotations: [FlowAnnotation] = []
    private var addresses: [IPAddress] = []
    /// Per conversation, a record with the fields its rows share (addresses, destination port,
    /// protocol, VLANs) and every other field zero; rows and sums start from it.
    private(set) var conversations: [FlowRecord] = []
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
    private var fields: [[UInt64]] = Array(repeating: [], count: 17)

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
    /// end ≥ since; nil = unbounded) as a row of its columns, and per conversation its shared
    /// fields and prepared `AnnotatedFlow`. Returns how many records the block holds.
    mutating func decode(_ raw: UnsafeRawBufferPointer, since: Timestamp?, until: Timestamp?,
                         into block: inout BlockRows) throws -> Int {
        do {
            block.clear()
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
                               since: Timestamp?, until: Timestamp?, into block: inout BlockRows) throws {
        // Columns unpack straight into the block's arrays (kept from block to block).
        try PackedColumn.decode(&columns[0], count: count, into: &block.conversationOfRow)
        try PackedColumn.decode(&columns[1], count: count, into: &block.ends)
        try PackedColumn.decode(&columns[2], count: count, into: &block.starts)
        try PackedColumn.decode(&columns[3], count: count, into: &block.sourcePorts)
        try PackedColumn.decode(&columns[4], count: count, into: &block.packetsOut)
        try PackedColumn.decode(&columns[5], count: count, into: &block.bytesOut)
        try PackedColumn.decode(&columns[6], count: count, into: &block.packetsIn)
        try PackedColumn.decode(&columns[7], count: count, into: &block.bytesIn)
        try PackedColumn.decode(&columns[8], count: count, into: &block.shapes)
        let conversationCount = UInt64(conversations.count), shapeCount = UInt64(shapes.count)
        // Ends from their deltas, starts from the durations, both to nanoseconds; shape numbers
        // to shapes; every reference checked before a row can use it.
        var end = baseEnd
        try block.conversationOfRow.withUnsafeBufferPointer { conversationOf in
            try shapes.withUnsafeBufferPointer { shapeTable in
                try block.shapes.withUnsafeMutableBufferPointer { shapeOf in
                    try block.ends.withUnsafeMutableBufferPointer { ends in
                        try block.starts.withUnsafeMutableBufferPointer { starts in
                            for i in 0..<count {
                                guard conversationOf[i] < conversationCount else {
                                    throw Malformed(reason: "conversation number out of range", position: nil)
                                }
                                guard shapeOf[i] < shapeCount else { throw Malformed(reason: "shape number out of range", position: nil) }
                                shapeOf[i] = shapeTable[Int(truncatingIfNeeded: shapeOf[i])]
                                end = end &+ Self.unzigzag(ends[i])
                                starts[i] = (end &- Self.unzigzag(starts[i])) &* unit
                                ends[i] = end &* unit
                            }
                        }
                    }
                }
            }
        }
        var kept = count
        if since != nil || until != nil {
            // Rows outside the range are dropped by moving the rest down, column by column.
            let sinceNS = since?.nanoseconds ?? 0, untilNS = until?.nanoseconds ?? .max
            kept = 0
            for i in 0..<count {
                let startNS = block.starts[i], endNS = block.ends[i]
                if startNS >= untilNS || endNS < sinceNS { continue }
                if kept != i {
                    block.conversationOfRow[kept] = block.conversationOfRow[i]
                    block.sourcePorts[kept] = block.sourcePorts[i]
                    block.packetsOut[kept] = block.packetsOut[i]
                    block.bytesOut[kept] = block.bytesOut[i]
                    block.packetsIn[kept] = block.packetsIn[i]
                    block.bytesIn[kept] = block.bytesIn[i]
                    block.starts[kept] = startNS
                    block.ends[kept] = endNS
                    block.shapes[kept] = block.shapes[i]
                }
                kept += 1
            }
        }
        block.count = kept
        // Shared, not copied: `BlockRows.clear` lets go of both before the next block is decoded.
        block.routes = conversations
        block.templateOfConversation = conversationTemplate
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
        // Staging in `fields` (kept from block to block: fresh arrays per block would cost page
        // faults on every large block): 0–2 identities and service, 3 verdict, 4–7 traces + 1.
        try readFields(&c, count: annotationCount, limits: [identityCount, identityCount, stringCount])
        let verdictAt = c.position
        try readFields(&c, count: annotationCount, limits: [256], from: 3)
        for raw in fields[3] where Verdict(rawValue: UInt8(raw)) == nil {
            throw Malformed(reason: "bad verdict", position: verdictAt)
        }
        try readFields(&c, count: annotationCount, limits: Array(repeating: traceCount + 1, count: 4), from: 4)
        // The staged fields as locals: indexing `fields[k][i]` would retain and release the
        // inner array on every access.
        let sourceOf = fields[0], destinationOf = fields[1], serviceOf = fields[2], verdictOf = fields[3]
        let traceOf = (fields[4], fields[5], fields[6], fields[7])
        for i in 0..<annotationCount where materialize {
            func trace(_ number: UInt64) -> PolicyTrace? { number == 0 ? nil : traces[Int(number) - 1] }
            annotations.append(FlowAnnotation(source: identities[Int(sourceOf[i])], destination: identities[Int(destinationOf[i])],
                                              destinationService: strings[Int(serviceOf[i])], verdict: Verdict(rawValue: UInt8(verdictOf[i]))!,
                                              egress: trace(traceOf.0[i]), ingress: trace(traceOf.1[i]),
                                              pendingEgress: trace(traceOf.2[i]), pendingIngress: trace(traceOf.3[i])))
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
        // Staging: 8 source, 9 destination, 10 port, 11 protocol, 12 vlan + 1, 13 inner vlan + 1,
        // 14 annotation + 1, 15 node, 16 domain set + 1.
        fields[8].removeAll(keepingCapacity: true)
        var source = 0
        for delta in packed {
            guard delta < UInt64(addresses.count) else { throw Malformed(reason: "address reference out of range", position: c.position) }
            source += Int(delta)
            guard source < addresses.count else { throw Malformed(reason: "address reference out of range", position: c.position) }
            fields[8].append(UInt64(source))
        }
        try readFields(&c, count: conversationCount, limits: [addresses.count, 1 << 16, 256, 1 << 16, 1 << 16, annotationCount + 1, stringCount],
                       from: 9)
        let hasDomains = payloadVersion >= SegmentFormat.domainsVersion
        if hasDomains {
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
            try readFields(&c, count: conversationCount, limits: [setCount + 1], from: 16)
        }
        conversations.reserveCapacity(conversationCount)
        // Locals, as above (one retain per table, not per access).
        let sources = fields[8], destinations = fields[9], ports = fields[10], protocols = fields[11]
        let vlans = fields[12], innerVLANs = fields[13], annotationOf = fields[14], nodeOf = fields[15], domainsOf = fields[16]
        for i in 0..<conversationCount {
            let annotation = Int(annotationOf[i]), node = Int(nodeOf[i])
            let domains = hasDomains ? Int(domainsOf[i]) : 0
            conversations.append(FlowRecord(sourceAddress: addresses[Int(sources[i])], destinationAddress: addresses[Int(destinations[i])],
                                            destinationPort: UInt16(truncatingIfNeeded: ports[i]),
                                            ipProtocol: IPProtocol(rawValue: UInt8(truncatingIfNeeded: protocols[i])),
                                            vlan: UInt16(truncatingIfNeeded: vlans[i] &- 1),
                                            innerVLAN: UInt16(truncatingIfNeeded: innerVLANs[i] &- 1),
                                            start: .zero, end: .zero))
            // Records only borrow annotation and node from their prepared record (the scan sets
            // the whole `flow`), so conversations with the same pair share one.
            let pair = materialize ? TemplateKey(annotation: annotation, node: node, domains: domains)
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
            let placeholder = conversations[i]
            templateOfPair[pair] = Int32(templates.count)
            lastPair = (pair, Int32(templates.count))
            conversationTemplate.append(Int32(templates.count))
            templates.append(materialize
                ? AnnotatedFlow(flow: placeholder, annotation: annotation == 0 ? nil : annotations[annotation - 1], node: strings[node],
                                destinationDomains: domains == 0 ? .none : domainSets[domains - 1])
                : AnnotatedFlow(flow: placeholder))
        }

        for _ in 0..<(try c.index(below: min(c.remaining / 8, records) + 1)) { shapes.append(try c.u64()) }
    }

    /// Reads `limits.count` packed fields of `count` values each into `fields[first…]`, each
    /// value checked against its limit.
    private mutating func readFields(_ c: inout ByteCursor, count: Int, limits: [Int], from first: Int = 0) throws {
        for (k, limit) in limits.enumerated() {
            try PackedColumn.decode(&c, count: count, into: &fields[first + k])
            guard count == 0 || fields[first + k].max()! < UInt64(limit) else {
                throw Malformed(reason: "dictionary reference out of range", position: c.position)
            }
        }
    }
}
