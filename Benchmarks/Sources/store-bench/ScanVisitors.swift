import FlowCore
import SegmentStore

/// The full scan as a whole-record reader does it: every flow handed over as an
/// `AnnotatedFlow` (`StoreReader.scan`), every field folded afresh per flow. The reference
/// for `RowDigestVisitor`.
struct RecordDigestVisitor: StoreVisitor {
    var checksum: UInt64 = 0
    var flows = 0
    mutating func shouldRead(block digest: BlockDigest) -> Bool { true }
    mutating func visit(_ flow: AnnotatedFlow) -> Bool {
        flows += 1
        checksum &+= FieldDigest.flow(flow)
        return true
    }
}

/// The full scan reading rows where they lie (a worker of `StoreReader.scanBlocks`, one per
/// thread), every part in the order it is stored: each dictionary entry of the block
/// (string bytes, label set, identity, trace, domain set, annotation outcome, annotation, then
/// each conversation's prepared record) folded once, from the numbers of its parts; each conversation's shared
/// fields folded once from the conversation columns (its addresses as the block's address
/// table's entries, each folded once), with its prepared record's digest; per row
/// its own fields from the row columns onto its conversation's digest. The same checksum as
/// `RecordDigestVisitor`.
///
/// In stored order because reading an entry where a row first needs it is a cache miss per
/// table on a large block (a block of the large cluster holds about 24,000 annotations). The
/// strings, label sets, identities and traces of a version 3 block are its segment's, shared
/// by all its blocks: they are folded once per segment (`BlockRows.segmentTables`).
struct RowDigestVisitor: StoreBlockWorker {
    // By number: the segment's tables (or the block's, before version 3)…
    private var strings: [UInt64] = []
    private var labelSets: [UInt64] = []
    private var identities: [UInt64] = []
    private var traces: [UInt64] = []
    /// …folded for these segment tables (nil: the last block's own).
    private var folded: SegmentTables?
    // …and the block's.
    private var domainSets: [UInt64] = []
    private var outcomes: [UInt64] = []
    private var annotations: [UInt64] = []
    private var prepared: [UInt64] = []
    /// Per conversation: its shared fields and its prepared record's digest, folded.
    private var conversations: [UInt64] = []
    /// Per entry of the block's address table, its digest.
    private var addresses: [UInt64] = []

    // StoreBlockWorker: each block's sum and row count, added up in `DigestTotal`.
    var numbersPreparedOnDemand: Bool { false }
    func makeOutput() -> BlockDigestSum { BlockDigestSum() }
    mutating func work(on block: inout BlockRows, into output: inout BlockDigestSum) {
        output = BlockDigestSum(checksum: digest(block), flows: block.rowCount)
    }

    /// The sum of the block's rows' digests.
    private mutating func digest(_ b: BlockRows) -> UInt64 {
        foldDictionaries(b)
        let columns = b.conversationColumns
        // The block's address table entry by entry, then each conversation from its two
        // entries' digests (not from a record built per conversation, whose addresses are
        // 24-byte values read at random).
        var addresses = Self.take(&self.addresses, count: columns.addressCount)
        for n in addresses.indices { addresses[n] = FieldDigest.address(columns.address(n)) }
        var conversations = Self.take(&self.conversations, count: columns.count)
        addresses.withUnsafeBufferPointer { addresses in
            prepared.withUnsafeBufferPointer { prepared in
                conversations.withUnsafeMutableBufferPointer { conversations in
                    for c in 0..<columns.count {
                        let route = FieldDigest.conversation(
                            source: addresses[columns.sourceAddressNumber(c)], destination: addresses[columns.destinationAddressNumber(c)],
                            ipProtocol: columns.ipProtocol(c), destinationPort: columns.destinationPort(c), vlan: columns.vlan(c),
                            innerVLAN: columns.innerVLAN(c))
                        conversations[c] = FieldDigest.mix(route, prepared[b.preparedIndex(ofConversation: c)])
                    }
                }
            }
        }
        (self.addresses, self.conversations) = (addresses, conversations)
        var sum: UInt64 = 0
        conversations.withUnsafeBufferPointer { conversations in
            for row in 0..<b.rowCount {
                sum &+= FieldDigest.row(conversation: conversations[b.conversation(ofRow: row)], sourcePort: b.sourcePort(ofRow: row),
                                        icmpType: b.icmpType(ofRow: row), icmpCode: b.icmpCode(ofRow: row),
                                        tcpFlagsOut: b.tcpFlagsOut(ofRow: row), tcpFlagsIn: b.tcpFlagsIn(ofRow: row),
                                        status: b.status(ofRow: row), start: b.start(ofRow: row), end: b.end(ofRow: row),
                                        packetsOut: b.packetsOut(ofRow: row), bytesOut: b.bytesOut(ofRow: row),
                                        packetsIn: b.packetsIn(ofRow: row), bytesIn: b.bytesIn(ofRow: row))
            }
        }
        return sum
    }

    /// Every entry of the block's dictionaries, table by table; strings from their bytes,
    /// identities and label sets from their strings' numbers, traces from their hits' parts
    /// (nothing of them is built). The segment's tables only when the block's differ from the
    /// last block's.
    private mutating func foldDictionaries(_ b: BlockRows) {
        let tables = b.segmentTables
        if tables == nil || tables != folded { foldSegmentTables(b) }
        folded = tables
        // Filled as locals through their buffers (no uniqueness check per entry), then kept for
        // the next block.
        var domainSets = Self.take(&self.domainSets, count: b.domainSetCount)
        var outcomes = Self.take(&self.outcomes, count: b.outcomeCount)
        var annotations = Self.take(&self.annotations, count: b.annotationCount)
        var prepared = Self.take(&self.prepared, count: b.preparedCount)
        let strings = self.strings, identities = self.identities, traces = self.traces
        for n in domainSets.indices { domainSets[n] = FieldDigest.domains(b.domainSet(n)) }
        outcomes.withUnsafeMutableBufferPointer { outcomes in
            var o = 0
            b.forEachOutcome { p in
                outcomes[o] = FieldDigest.outcome(
                    service: strings[p.destinationService], verdict: p.verdict,
                    traces: (p.egress.map { traces[$0] }, p.ingress.map { traces[$0] },
                             p.pendingEgress.map { traces[$0] }, p.pendingIngress.map { traces[$0] }))
                o += 1
            }
            annotations.withUnsafeMutableBufferPointer { annotations in
                identities.withUnsafeBufferPointer { identities in
                    var a = 0
                    b.forEachAnnotationByOutcome { source, destination, outcome in
                        annotations[a] = FieldDigest.annotation(source: identities[source], destination: identities[destination],
                                                                outcome: outcomes[outcome])
                        a += 1
                    }
                }
            }
        }
        let noNode = FieldDigest.string(""), noDomains = FieldDigest.domains(.none)
        prepared.withUnsafeMutableBufferPointer { prepared in
            var t = 0
            b.forEachPrepared { annotation, node, domains in
                prepared[t] = FieldDigest.prepared(annotation: annotation.map { annotations[$0] }, node: node.map { strings[$0] } ?? noNode,
                                                   domains: domains.map { domainSets[$0] } ?? noDomains)
                t += 1
            }
        }
        (self.domainSets, self.outcomes, self.annotations, self.prepared) = (domainSets, outcomes, annotations, prepared)
    }

    /// The strings, label sets, identities and traces.
    private mutating func foldSegmentTables(_ b: BlockRows) {
        var strings = Self.take(&self.strings, count: b.stringCount)
        var labelSets = Self.take(&self.labelSets, count: b.labelSetCount)
        var identities = Self.take(&self.identities, count: b.identityCount)
        var traces = Self.take(&self.traces, count: b.traceCount)
        strings.withUnsafeMutableBufferPointer { strings in
            for n in strings.indices { strings[n] = b.withStringBytes(n) { FieldDigest.bytes($0) } }
            labelSets.withUnsafeMutableBufferPointer { labelSets in
                for n in labelSets.indices {
                    var sum: UInt64 = 0
                    b.forEachLabel(inSet: n) { key, value in sum &+= FieldDigest.label(key: strings[key], value: strings[value]) }
                    labelSets[n] = sum
                }
                identities.withUnsafeMutableBufferPointer { identities in
                    for n in identities.indices {
                        let p = b.identityParts(n)
                        identities[n] = FieldDigest.identity(kind: p.kind, namespace: strings[p.namespace], name: strings[p.name],
                                                             aggregatedName: strings[p.aggregatedName],
                                                             serviceAccount: strings[p.serviceAccount], labels: labelSets[p.labelSet])
                    }
                }
            }
            traces.withUnsafeMutableBufferPointer { traces in
                for n in traces.indices {
                    var h = FieldDigest.traceSeed
                    let head = b.traceParts(n) { hit in
                        h = FieldDigest.hit(h, index: hit.index, tier: strings[hit.tier], kind: hit.kind,
                                            namespace: strings[hit.namespace], name: strings[hit.name], action: hit.action,
                                            ruleIndex: hit.ruleIndex)
                    }
                    traces[n] = FieldDigest.traceEnd(h, reporter: head.reporter, action: head.action, hits: head.hits)
                }
            }
        }
        (self.strings, self.labelSets, self.identities, self.traces) = (strings, labelSets, identities, traces)
    }

    /// A table moved out of the visitor, `count` zeros (its capacity kept).
    private static func take(_ table: inout [UInt64], count: Int) -> [UInt64] {
        var taken: [UInt64] = []
        swap(&taken, &table)
        taken.removeAll(keepingCapacity: true)
        taken.append(contentsOf: repeatElement(0, count: count))
        return taken
    }
}

/// One block's part of the full scan's checksum.
struct BlockDigestSum {
    var checksum: UInt64 = 0
    var flows = 0
}

/// The full scan's total over the blocks the workers summed (a sum: the order does not matter,
/// but `scanBlocks` hands them over in scan order anyway).
struct DigestTotal: StoreBlockConsumer {
    var checksum: UInt64 = 0
    var flows = 0
    func shouldRead(block digest: BlockDigest) -> Bool { true }
    mutating func consume(block digest: BlockDigest, _ block: ScannedBlock<BlockDigestSum>, visited: inout Int) -> Bool {
        if case .read(let sum) = block {
            checksum &+= sum.checksum
            flows += sum.flows
            visited = sum.flows
        }
        return true
    }
}
