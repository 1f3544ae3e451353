import FlowCore

/// Turns a block's flows into the raw (uncompressed) payload: per-block dictionaries, then one
/// column per record field.
///
/// ```text
/// raw payload
///   u8 time unit exponent e (times are stored in units of 10^e ns: 0, 3, 6 or 9)
///   varint record count, varint base end (the first record's end, in units)
///   strings        varint n; n × (varint length, UTF-8 bytes)
///   label sets     varint n; n × (varint pairs; pairs × (varint key string, varint value string))
///   identities     varint n; n × (u8 kind, varint namespace, name, aggregated name [strings],
///                                 varint label set, varint service account [string])
///   traces         varint n; n × (u8 reporter, u8 action, varint hits; hits × (varint index,
///                                 varint tier [string], u8 kind, varint namespace, varint name
///                                 [strings], u8 action, zigzag rule index))
///   annotations    varint n; then field by field, n values each: varint source identity,
///                  varint destination identity, varint service [string], u8 verdict, and
///                  varint trace + 1 (0 = none) for egress, ingress, pending egress, pending ingress
///   addresses      varint n; n × (u8 4 + 4 bytes | u8 6 + 16 bytes), network order
///   conversations  varint n; then field by field, n values each: varint source address,
///                  varint destination address, u16 destination port, u8 protocol,
///                  varint vlan + 1, varint inner vlan + 1 (mod 2^16: "none" is 0),
///                  varint annotation + 1 (0 = none), varint node [string]
///   shapes         varint n; n × u64: TCP flags out | in << 8 | status << 16 | ICMP type << 32
///                  | ICMP code << 40
///   columns        9 × varint byte length, then the columns, one value per record:
///     conversation varint · end zigzag delta from the previous record's end (units) ·
///     duration zigzag end − start (units) · source port u16 · packets out, bytes out,
///     packets in, bytes in varint · shape varint
/// ```
///
/// Ends, not starts, are delta-coded: a flow cache emits flows about in end order, so the
/// deltas stay small while durations vary.
///
/// A "conversation" is everything that repeats between the flows of one client to one service:
/// both addresses, destination port, protocol, VLANs, the whole annotation and the node. In
/// Kubernetes traffic a block of thousands of flows holds far fewer conversations, so a record
/// shrinks to its conversation number, times, source port and counters. Columns keep alike bytes
/// together (flag and status columns are nearly constant), which is what LZ4 then removes.
struct BlockEncoder {
    static let columnCount = 9

    private var strings: [String: Int] = [:]
    private var stringList: [String] = []
    private var labelSets: [[String: String]: Int] = [:]
    private var labelSetList: [[String: String]] = []
    private var identities: [EndpointIdentity: Int] = [:]
    private var identityList: [EndpointIdentity] = []
    private var traces: [PolicyTrace: Int] = [:]
    private var traceList: [PolicyTrace] = []
    private var annotations: [FlowAnnotation: Int] = [:]
    private var annotationList: [FlowAnnotation] = []
    private var addresses: [IPAddress: Int] = [:]
    private var addressList: [IPAddress] = []
    private var conversations: [Conversation: Int] = [:]
    private var conversationList: [Conversation] = []
    private var shapes: [UInt64: Int] = [:]
    private var shapeList: [UInt64] = []
    private var columns = [ByteSink](repeating: ByteSink(), count: BlockEncoder.columnCount)

    struct Conversation: Hashable {
        var source: Int
        var destination: Int
        var destinationPort: UInt16
        var ipProtocol: UInt8
        var vlan: UInt16
        var innerVLAN: UInt16
        var annotation: Int   // + 1; 0 = none
        var node: Int
    }

    init() {}

    /// Encodes `flows` (non-empty) as one raw payload, appended to `out`.
    mutating func encode(_ flows: ArraySlice<AnnotatedFlow>, into out: inout ByteSink) {
        reset()
        let exponent = Self.timeUnitExponent(flows)
        var unit: UInt64 = 1
        for _ in 0..<exponent { unit *= 10 }
        let baseEnd = flows.first!.flow.end.nanoseconds / unit
        var previousEnd = baseEnd
        for record in flows {
            let f = record.flow
            let conversation = Conversation(
                source: intern(f.sourceAddress), destination: intern(f.destinationAddress),
                destinationPort: f.destinationPort, ipProtocol: f.ipProtocol.rawValue,
                vlan: f.vlan, innerVLAN: f.innerVLAN,
                annotation: record.annotation.map { intern($0) + 1 } ?? 0, node: intern(record.node))
            let start = f.start.nanoseconds / unit
            let end = f.end.nanoseconds / unit
            columns[0].varint(intern(conversation))
            columns[1].signed(Int64(bitPattern: end &- previousEnd))
            columns[2].signed(Int64(bitPattern: end &- start))
            columns[3].u16(f.sourcePort)
            columns[4].varint(f.packetsOut)
            columns[5].varint(f.bytesOut)
            columns[6].varint(f.packetsIn)
            columns[7].varint(f.bytesIn)
            columns[8].varint(intern(shape: Self.shape(f)))
            previousEnd = end
        }

        out.u8(UInt8(exponent))
        out.varint(flows.count)
        out.varint(baseEnd)
        out.varint(stringList.count)
        for s in stringList { out.string(s) }
        out.varint(labelSetList.count)
        for set in labelSetList {
            out.varint(set.count)
            // Sorted so equal maps always encode to equal bytes.
            for (key, value) in set.sorted(by: { $0.key < $1.key }) {
                out.varint(strings[key]!)
                out.varint(strings[value]!)
            }
        }
        out.varint(identityList.count)
        for identity in identityList {
            out.u8(identity.kind.rawValue)
            out.varint(strings[identity.namespace]!)
            out.varint(strings[identity.name]!)
            out.varint(strings[identity.aggregatedName]!)
            out.varint(labelSets[identity.labels]!)
            out.varint(strings[identity.serviceAccount]!)
        }
        out.varint(traceList.count)
        for trace in traceList {
            out.u8(trace.reporter.rawValue)
            out.u8(trace.action.rawValue)
            out.varint(trace.hits.count)
            for hit in trace.hits {
                out.signed(Int64(hit.index))
                out.varint(strings[hit.tier]!)
                out.u8(hit.kind.rawValue)
                out.varint(strings[hit.namespace]!)
                out.varint(strings[hit.name]!)
                out.u8(hit.action.rawValue)
                out.signed(Int64(hit.ruleIndex))
            }
        }
        // Annotations and conversations field by field: alike values side by side compress better.
        out.varint(annotationList.count)
        for a in annotationList { out.varint(identities[a.source]!) }
        for a in annotationList { out.varint(identities[a.destination]!) }
        for a in annotationList { out.varint(strings[a.destinationService]!) }
        for a in annotationList { out.u8(a.verdict.rawValue) }
        for a in annotationList { out.varint(a.egress.map { traces[$0]! + 1 } ?? 0) }
        for a in annotationList { out.varint(a.ingress.map { traces[$0]! + 1 } ?? 0) }
        for a in annotationList { out.varint(a.pendingEgress.map { traces[$0]! + 1 } ?? 0) }
        for a in annotationList { out.varint(a.pendingIngress.map { traces[$0]! + 1 } ?? 0) }
        out.varint(addressList.count)
        for address in addressList {
            out.u8(address.version.rawValue)
            if address.version == .v4 {
                let v = UInt32(truncatingIfNeeded: address.low)
                out.u8(UInt8(v >> 24)); out.u8(UInt8((v >> 16) & 0xFF)); out.u8(UInt8((v >> 8) & 0xFF)); out.u8(UInt8(v & 0xFF))
            } else {
                for word in [address.high, address.low] {
                    for shift in stride(from: 56, through: 0, by: -8) { out.u8(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
                }
            }
        }
        out.varint(conversationList.count)
        for c in conversationList { out.varint(c.source) }
        for c in conversationList { out.varint(c.destination) }
        for c in conversationList { out.u16(c.destinationPort) }
        for c in conversationList { out.u8(c.ipProtocol) }
        // + 1 so the common "no VLAN" (0xFFFF) costs one byte, not three.
        for c in conversationList { out.varint(UInt64(c.vlan &+ 1)) }
        for c in conversationList { out.varint(UInt64(c.innerVLAN &+ 1)) }
        for c in conversationList { out.varint(c.annotation) }
        for c in conversationList { out.varint(c.node) }
        out.varint(shapeList.count)
        for shape in shapeList { out.u64(shape) }
        for column in columns { out.varint(column.bytes.count) }
        for column in columns { out.append(column.bytes) }
    }

    private mutating func reset() {
        strings.removeAll(keepingCapacity: true)
        stringList.removeAll(keepingCapacity: true)
        labelSets.removeAll(keepingCapacity: true)
        labelSetList.removeAll(keepingCapacity: true)
        identities.removeAll(keepingCapacity: true)
        identityList.removeAll(keepingCapacity: true)
        traces.removeAll(keepingCapacity: true)
        traceList.removeAll(keepingCapacity: true)
        annotations.removeAll(keepingCapacity: true)
        annotationList.removeAll(keepingCapacity: true)
        addresses.removeAll(keepingCapacity: true)
        addressList.removeAll(keepingCapacity: true)
        conversations.removeAll(keepingCapacity: true)
        conversationList.removeAll(keepingCapacity: true)
        shapes.removeAll(keepingCapacity: true)
        shapeList.removeAll(keepingCapacity: true)
        for i in columns.indices { columns[i].bytes.removeAll(keepingCapacity: true) }
    }

    /// The coarsest unit (1 s, 1 ms, 1 µs, 1 ns) every start and end is a whole multiple of, so
    /// microsecond pcap timestamps cost no bytes for their three trailing zero digits.
    static func timeUnitExponent(_ flows: ArraySlice<AnnotatedFlow>) -> Int {
        var exponent = 9
        var unit: UInt64 = 1_000_000_000
        for record in flows {
            while exponent > 0 && (record.flow.start.nanoseconds % unit != 0 || record.flow.end.nanoseconds % unit != 0) {
                exponent -= 3
                unit /= 1000
            }
            if exponent == 0 { break }
        }
        return exponent
    }

    // MARK: - Interning

    private mutating func intern(_ s: String) -> Int {
        if let id = strings[s] { return id }
        let id = stringList.count
        strings[s] = id
        stringList.append(s)
        return id
    }

    private mutating func intern(_ labels: [String: String]) -> Int {
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

    private mutating func intern(_ identity: EndpointIdentity) -> Int {
        if let id = identities[identity] { return id }
        _ = intern(identity.namespace)
        _ = intern(identity.name)
        _ = intern(identity.aggregatedName)
        _ = intern(identity.labels)
        _ = intern(identity.serviceAccount)
        let id = identityList.count
        identities[identity] = id
        identityList.append(identity)
        return id
    }

    private mutating func intern(_ trace: PolicyTrace) -> Int {
        if let id = traces[trace] { return id }
        for hit in trace.hits {
            _ = intern(hit.tier)
            _ = intern(hit.namespace)
            _ = intern(hit.name)
        }
        let id = traceList.count
        traces[trace] = id
        traceList.append(trace)
        return id
    }

    private mutating func intern(_ annotation: FlowAnnotation) -> Int {
        if let id = annotations[annotation] { return id }
        _ = intern(annotation.source)
        _ = intern(annotation.destination)
        _ = intern(annotation.destinationService)
        for trace in [annotation.egress, annotation.ingress, annotation.pendingEgress, annotation.pendingIngress] {
            if let trace { _ = intern(trace) }
        }
        let id = annotationList.count
        annotations[annotation] = id
        annotationList.append(annotation)
        return id
    }

    private mutating func intern(_ address: IPAddress) -> Int {
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

    private mutating func intern(shape: UInt64) -> Int {
        if let id = shapes[shape] { return id }
        let id = shapeList.count
        shapes[shape] = id
        shapeList.append(shape)
        return id
    }

    private mutating func intern(_ conversation: Conversation) -> Int {
        if let id = conversations[conversation] { return id }
        let id = conversationList.count
        conversations[conversation] = id
        conversationList.append(conversation)
        return id
    }
}
