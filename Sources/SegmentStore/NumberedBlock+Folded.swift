import FlowCore

/// Version 3's annotation tables, folded into the addresses and conversations.
///
/// On a large cluster nearly every connection is a new pod pair, so a block held about as many
/// annotations as conversations (0.66 per flow), each listing both identities, service, verdict
/// and four traces: 6 bytes per flow, more than any record column. Yet an address has one
/// identity in a block (the pod that holds it), and what an annotation adds to its two
/// identities, its *outcome* (service, verdict, traces), takes a few hundred values per block.
/// So a version 3 block keeps the identity once per address, the outcomes in a small table, and
/// per annotation only its outcome number (plus an identity where it differs from its
/// address's: a reused pod address, a network set). Annotations are numbered in the order the
/// sorted conversations first use them, so a conversation's reference is mostly "the next
/// one" (1) or one a few back (2, 3, …): a few bits instead of the annotation's full number.
/// Protocol and destination port are one number in a per-block table of the pairs met.
extension NumberedBlock {
    /// An annotation's parts besides its identities, by block and segment numbers.
    struct Outcome: DenseKey {
        var service: Int, verdict: UInt8, egress: Int, ingress: Int, pendingEgress: Int, pendingIngress: Int

        var denseHash: UInt64 {
            var h = DenseHash.mix(UInt64(truncatingIfNeeded: service) << 8 | UInt64(verdict), UInt64(truncatingIfNeeded: egress))
            h = DenseHash.mix(h, UInt64(truncatingIfNeeded: ingress))
            return DenseHash.mix(h, UInt64(truncatingIfNeeded: pendingEgress) << 32 ^ UInt64(truncatingIfNeeded: pendingIngress))
        }
    }

    /// Writes outcomes, ports, addresses, address identities, conversations and annotation
    /// columns (layout in `SegmentFormat`). `sortedAddresses` and `sorted` are the tables in the
    /// order written, `addressNumber` the written number of each address by its first-seen one.
    func writeFoldedTables(into out: inout ByteSink, sortedAddresses: [IPAddress], addressNumber: [Int], sorted: [BlockEncoder.Conversation]) {
        let annotationParts = content.annotations.keys
        var outcomeNumbers = DenseNumbering<Outcome>()
        var outcomeOf = annotationParts.map { p in
            outcomeNumbers.number(of: Outcome(service: p.service, verdict: p.verdict.rawValue, egress: p.egress, ingress: p.ingress,
                                              pendingEgress: p.pendingEgress, pendingIngress: p.pendingIngress))
        }
        var outcomes = outcomeNumbers.keys
        let version4 = formatVersion >= SegmentFormat.basedColumnsVersion
        if version4 {
            // Sorted by their traces (egress first), so the egress column delta-codes to a few
            // bits and the others fall into runs LZ4 finds; the annotations' outcome numbers
            // follow the new order.
            let order = outcomes.indices.sorted { a, b in
                let x = outcomes[a], y = outcomes[b]
                return (x.egress, x.ingress, x.pendingEgress, x.pendingIngress, x.service, x.verdict)
                    < (y.egress, y.ingress, y.pendingEgress, y.pendingIngress, y.service, y.verdict)
            }
            var newNumber = [Int](repeating: 0, count: outcomes.count)
            for (new, old) in order.enumerated() { newNumber[old] = new }
            outcomes = order.map { outcomes[$0] }
            for a in outcomeOf.indices { outcomeOf[a] = newNumber[outcomeOf[a]] }
        }
        out.varint(outcomes.count)
        pack(outcomes.map { UInt64($0.service) }, into: &out)
        pack(outcomes.map { UInt64($0.verdict) }, into: &out)
        if version4 {
            var previous = 0
            pack(outcomes.map { o in
                defer { previous = o.egress }
                return UInt64(o.egress - previous)
            }, into: &out)
        } else {
            pack(outcomes.map { UInt64($0.egress) }, into: &out)
        }
        pack(outcomes.map { UInt64($0.ingress) }, into: &out)
        pack(outcomes.map { UInt64($0.pendingEgress) }, into: &out)
        pack(outcomes.map { UInt64($0.pendingIngress) }, into: &out)

        // A block meets a few to a few thousand (protocol, destination port) pairs: numbered,
        // ascending by protocol << 16 | port.
        var servicesMet = DenseNumbering<UInt64>()
        let serviceMet = sorted.map { servicesMet.number(of: Self.service($0.route)) }
        let pairOrder = servicesMet.keys.indices.sorted { servicesMet.keys[$0] < servicesMet.keys[$1] }
        let pairs = pairOrder.map { servicesMet.keys[$0] }
        var pairNumber = [Int](repeating: 0, count: pairs.count)
        for (n, met) in pairOrder.enumerated() { pairNumber[met] = n }
        out.varint(pairs.count)
        var previousPair: UInt64 = 0
        pack(pairs.map { p in
            defer { previousPair = p }
            return p - previousPair
        }, into: &out)

        Self.write(addresses: sortedAddresses, prefixCoded: version4, into: &out)

        // Annotations in the order the conversations first use them (version 5: one per
        // annotated conversation, in conversation order); each address takes the identity of
        // the first annotation that names it.
        let perConversation = formatVersion >= SegmentFormat.conversationOutcomesVersion
        var newNumber = [Int](repeating: -1, count: annotationParts.count)
        var order: [Int] = []
        order.reserveCapacity(annotationParts.count)
        var identityOfAddress = [Int](repeating: 0, count: sortedAddresses.count)
        var overrides: [(source: Int, destination: Int)] = []
        overrides.reserveCapacity(annotationParts.count)
        var codes: [UInt64] = []
        codes.reserveCapacity(sorted.count)
        /// Per annotation (in `order`), the written number of its first conversation's destination.
        var firstDestination: [Int] = []
        firstDestination.reserveCapacity(annotationParts.count)
        for c in sorted {
            guard c.annotation > 0 else {
                codes.append(0)
                continue
            }
            let old = c.annotation - 1
            if newNumber[old] >= 0 && !perConversation {
                codes.append(UInt64(order.count - newNumber[old] + 1))
                continue
            }
            newNumber[old] = order.count
            order.append(old)
            codes.append(1)
            let parts = annotationParts[old]
            let s = addressNumber[c.route.source], d = addressNumber[c.route.destination]
            firstDestination.append(d)
            if identityOfAddress[s] == 0 { identityOfAddress[s] = parts.source + 1 }
            if identityOfAddress[d] == 0 { identityOfAddress[d] = parts.destination + 1 }
            overrides.append((identityOfAddress[s] == parts.source + 1 ? 0 : parts.source + 1,
                              identityOfAddress[d] == parts.destination + 1 ? 0 : parts.destination + 1))
        }
        pack(identityOfAddress.map { UInt64($0) }, into: &out)

        writeConversationAddresses(sorted, addressNumber: addressNumber, into: &out)
        let serviceNumbers = serviceMet.map { pairNumber[$0] }
        if version4 {
            // A destination mostly serves one port: a bit per conversation says "the (protocol,
            // port) of the conversation before it to the same destination", and only the
            // others are written.
            writePredicted(serviceNumbers, keys: sorted.map { addressNumber[$0.route.destination] },
                           keyCount: sortedAddresses.count, into: &out)
        } else {
            pack(serviceNumbers.map { UInt64($0) }, into: &out)
        }
        pack(sorted.map { UInt64($0.route.vlan &+ 1) }, into: &out)
        pack(sorted.map { UInt64($0.route.innerVLAN &+ 1) }, into: &out)
        if perConversation {
            // Version 5: a conversation's annotation is its addresses' identities and an
            // outcome, so instead of a code naming a shared annotation each conversation has
            // its outcome + 1 (0 = none), predicted from the last conversation to the same
            // destination (an endpoint's ingress policy decides much of it).
            writePredicted(sorted.map { $0.annotation > 0 ? outcomeOf[$0.annotation - 1] + 1 : 0 },
                           keys: sorted.map { addressNumber[$0.route.destination] }, keyCount: sortedAddresses.count, into: &out)
        } else {
            pack(codes, into: &out)
        }
        pack(sorted.map { UInt64($0.route.node) }, into: &out)

        // (Version 5: the outcomes went with the conversations.)
        if version4 && !perConversation {
            // An endpoint's ingress policy decides much of an outcome, so an annotation often has
            // the outcome of the one before it to the same destination: a bit says so, and only
            // the other outcomes are written.
            writePredicted(order.map { outcomeOf[$0] }, keys: firstDestination, keyCount: sortedAddresses.count, into: &out)
        } else if !version4 {
            pack(order.map { UInt64(outcomeOf[$0]) }, into: &out)
        }
        pack(overrides.map { UInt64($0.source) }, into: &out)
        pack(overrides.map { UInt64($0.destination) }, into: &out)
    }

    /// A predicted column (version 4 on): a bit per value, 1 when it equals the value last written
    /// for the same key (each of `keys` below `keyCount`), then the values of the others.
    func writePredicted(_ values: [Int], keys: [Int], keyCount: Int, into out: inout ByteSink) {
        var last = [Int](repeating: -1, count: keyCount)
        var repeats: [UInt64] = [], others: [UInt64] = []
        repeats.reserveCapacity(values.count)
        for (key, value) in zip(keys, values) {
            if last[key] == value {
                repeats.append(1)
            } else {
                repeats.append(0)
                others.append(UInt64(value))
            }
            last[key] = value
        }
        pack(repeats, into: &out)
        pack(others, into: &out)
    }

    /// The conversation table's count and its source and destination columns: source address
    /// numbers as deltas (the table is sorted by source, then destination), destination address
    /// numbers; from version 4 the destinations in two columns, those of the conversations that
    /// start a source as they are, the others as deltas from the conversation before (a source
    /// meets a few destinations, ascending: deltas need fewer bits than numbers).
    func writeConversationAddresses(_ sorted: [BlockEncoder.Conversation], addressNumber: [Int], into out: inout ByteSink) {
        out.varint(sorted.count)
        var previousSource = 0
        pack(sorted.map { c in
            let source = addressNumber[c.route.source]
            defer { previousSource = source }
            return UInt64(source - previousSource)
        }, into: &out)
        guard formatVersion >= SegmentFormat.basedColumnsVersion else {
            pack(sorted.map { UInt64(addressNumber[$0.route.destination]) }, into: &out)
            return
        }
        var starting: [UInt64] = [], following: [UInt64] = []
        for (i, c) in sorted.enumerated() {
            let destination = addressNumber[c.route.destination]
            if i > 0 && addressNumber[sorted[i - 1].route.source] == addressNumber[c.route.source] {
                following.append(UInt64(destination - addressNumber[sorted[i - 1].route.destination]))
            } else {
                starting.append(UInt64(destination))
            }
        }
        pack(starting, into: &out)
        pack(following, into: &out)
    }

    /// A route's protocol and destination port as one number (the ports table's entries).
    static func service(_ route: BlockEncoder.Route) -> UInt64 { UInt64(route.ipProtocol) << 16 | UInt64(route.destinationPort) }

    /// Addresses ascending (IPv4 before IPv6): IPv4 as packed deltas, IPv6 as 16 bytes each or,
    /// `prefixCoded`, as the count of leading bytes shared with the one before and the rest
    /// (a cluster's IPv6 addresses share their first 8 to 14 bytes).
    static func write(addresses sorted: [IPAddress], prefixCoded: Bool, into out: inout ByteSink) {
        let v4 = sorted.prefix { $0.version == .v4 }
        out.varint(v4.count)
        var previousV4: UInt64 = 0
        PackedColumn.encode(v4.map { a in
            defer { previousV4 = a.low }
            return a.low &- previousV4
        }, into: &out)
        out.varint(sorted.count - v4.count)
        guard prefixCoded else {
            for address in sorted.dropFirst(v4.count) {
                out.u64(address.high.bigEndian)
                out.u64(address.low.bigEndian)
            }
            return
        }
        var previous = (high: UInt64(0), low: UInt64(0))
        for address in sorted.dropFirst(v4.count) {
            // Shared leading bytes, at most 15 (the table's addresses differ; `::` after the
            // all-zero start still writes its last byte).
            let shared: Int
            if address.high != previous.high {
                shared = (address.high ^ previous.high).leadingZeroBitCount / 8
            } else {
                shared = min(15, 8 + (address.low ^ previous.low).leadingZeroBitCount / 8)
            }
            out.u8(UInt8(shared))
            for k in shared..<16 {
                let word = k < 8 ? address.high : address.low
                out.u8(UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * (k % 8))))
            }
            previous = (address.high, address.low)
        }
    }
}
