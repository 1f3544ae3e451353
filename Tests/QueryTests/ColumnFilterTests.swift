import FlowCore
import SegmentStore
import Testing
@testable import Query

/// The column-wise filter (`ColumnFilter`, used when the store is scanned) against the plain
/// one (`FilterProgram` on whole records, used for flows in memory): random filters over
/// random flows must select exactly the same rows, with and without a time window.
@Suite struct ColumnFilterTests {
    /// Sample flows, each repeated 1–4 times with other counters and source ports, so
    /// conversations hold several rows that a counter test splits.
    static let flows: [AnnotatedFlow] = {
        var g = SplitMix64(seed: 77)
        var out: [AnnotatedFlow] = []
        for base in SampleFlows.make(count: 1200, seed: 5, clustered: true) {
            for k in 0..<(1 + Int(g.below(4))) {
                var f = base
                if k > 0 {
                    f.flow.sourcePort = f.flow.ipProtocol == .icmp ? 0 : UInt16(1000 + g.below(60000))
                    f.flow.packetsOut = g.below(200)
                    f.flow.bytesOut = g.below(300_000)
                    f.flow.packetsIn = g.below(200)
                    f.flow.bytesIn = g.below(300_000)
                    f.flow.start = Timestamp(nanoseconds: f.flow.start.nanoseconds + g.below(500_000_000))
                    f.flow.end = Timestamp(nanoseconds: f.flow.start.nanoseconds + g.below(3_000_000_000))
                }
                out.append(f)
            }
        }
        return out
    }()

    static let atoms: [@Sendable (inout SplitMix64) -> String] = [
        { g in "\(g.pick(["src.", "dst.", "any.", ""]))namespace \(g.pick(SampleFlows.namespaces))" },
        { g in "ns \(g.pick(["sh*", "d*", "kube-*"]))" },
        { g in "proto \(g.pick(["tcp", "udp", "icmp"]))" },
        { g in "\(g.pick(["bytes", "packets", "bytes_in", "bytes_out", "packets_in", "packets_out", "src.bytes", "dst.packets", "source_bytes", "dest_bytes"])) \(g.pick(["<", "<=", ">", ">=", "=", "!="])) \(g.pick([0, 1, 50, 100, 5000, 100_000, 250_000]))" },
        { g in "\(g.pick(["src.", "dst.", ""]))port \(g.pick(["80", "443", "5432", "> 40000", "< 1024", "!= 53"]))" },
        { g in "\(g.pick(["src.", "dst.", ""]))ip \(g.pick(["10.0.0.0/8", "10.1.0.0/16", "10.4.0.0/16", "10.0.3.0/24", "192.168.0.0/16"]))" },
        { g in "action \(g.pick(["allow", "deny", "unknown"]))" },
        { g in "pending_action \(g.pick(["allow", "deny"]))" },
        { g in g.pick(["would_change", "would_change no"]) },
        { g in "reporter \(g.pick(["src", "dst"]))" },
        { g in "tier \(g.pick(SampleFlows.tiers + ["staging"]))" },
        { g in "policy \(g.pick(["lockdown", "baseline", "allow-web", "deny-api"]))" },
        { g in "node node-\(g.below(4))" },
        { g in "service \(g.pick(["shop/web", "db/api", "sh*"]))" },
        { g in "vlan \(g.pick(["< 10", "= 3", ">= 0"]))" },
        { g in "\(g.pick(["src.", "dst."]))labels \"app == '\(g.pick(SampleFlows.apps))'\"" },
        { g in "type \(g.pick(["hep", "wep"]))" },
        { g in "pod \(g.pick(["web-*", "api-1x1", "cache-*"]))" },
        { g in "policy_action \(g.pick(["allow", "deny", "pass"]))" },
    ]

    static func randomFilter(_ g: inout SplitMix64, depth: Int = 0) -> String {
        if depth >= 3 || g.below(3) == 0 { return atoms[Int(g.below(UInt64(atoms.count)))](&g) }
        switch g.below(4) {
        case 0: return "not (\(randomFilter(&g, depth: depth + 1)))"
        case 1: return "(\(randomFilter(&g, depth: depth + 1))) or (\(randomFilter(&g, depth: depth + 1)))"
        default: return "(\(randomFilter(&g, depth: depth + 1))) and (\(randomFilter(&g, depth: depth + 1)))"
        }
    }

    func rows(_ filter: String, window: TimeWindow, store: String) throws -> (String, String, QueryStatistics) {
        let plan = QueryPlan(filter: try FilterProgram(parsing: filter), window: window, format: .csv,
                             fields: OutputField.allCases, order: .stored)
        var fromStore = OutputBuffer(target: .memory)
        let stats = try QueryEngine.run(plan, directory: store, into: &fromStore)
        var fromMemory = OutputBuffer(target: .memory)
        _ = try QueryEngine.run(plan, over: InMemoryFlowSource(flows: Self.flows, blockSize: 256), into: &fromMemory)
        return (fromStore.text, fromMemory.text, stats)
    }

    @Test func randomFiltersSelectTheSameRowsBothWays() throws {
        let dir = StoreQueryTests.temporaryDirectory()
        defer { StoreQueryTests.removeTree(dir) }
        let writer = try SegmentWriter(directory: dir, configuration: StoreConfiguration(blockRecords: 256, fsync: .onSeal))
        try writer.append(Self.flows)
        try writer.close()
        var g = SplitMix64(seed: 2026)
        let first = Self.flows.map(\.flow.start).min()!.nanoseconds
        var compiled = 0, nonEmpty = 0
        for round in 0..<150 {
            let filter = Self.randomFilter(&g)
            let program = try FilterProgram(parsing: filter)
            if ColumnFilter(program.expression) != nil { compiled += 1 }
            // Every third round inside a window, so rows are also dropped by time.
            let window = round % 3 == 0
                ? TimeWindow(since: Timestamp(nanoseconds: first + 600_000_000_000), until: Timestamp(nanoseconds: first + 1_800_000_000_000))
                : TimeWindow()
            let (store, memory, stats) = try rows(filter, window: window, store: dir)
            #expect(store == memory, "filter: \(filter)")
            let expected = Self.flows.filter { window.contains($0.flow) && program.matches($0) }.count
            #expect(stats.flowsMatched == UInt64(expected), "filter: \(filter)")
            if expected > 0 { nonEmpty += 1 }
        }
        #expect(compiled == 150)
        // The filters are not all trivially empty.
        #expect(nonEmpty > 50)
    }

    /// Random stores (several seeds, block sizes, some flows over IPv6, some conversations
    /// repeated within a block) under random filters, every output field printed: the scan's
    /// fast paths (filters on conversation columns and on each address once, records built
    /// only for admitted rows) against the plain per-record evaluation of flows in memory.
    @Test func randomStoresAgreeWithPerRecordEvaluation() throws {
        var g = SplitMix64(seed: 4242)
        var compared = 0, nonEmpty = 0
        for (n, blockSize) in [64, 256, 1000, 4096].enumerated() {
            let seed = 100 + UInt64(n)
            var flows: [AnnotatedFlow] = []
            for base in SampleFlows.make(count: 700 + Int(g.below(800)), seed: seed, clustered: n % 2 == 0) {
                var f = base
                if g.below(5) == 0 {
                    // The same pair over IPv6 (2001:db8::/32 with the IPv4 address in the low bits).
                    f.flow.sourceAddress = IPAddress(ipv6High: 0x2001_0DB8_0000_0000, low: f.flow.sourceAddress.low)
                    f.flow.destinationAddress = IPAddress(ipv6High: 0x2001_0DB8_0000_0000, low: f.flow.destinationAddress.low)
                }
                for k in 0..<(1 + Int(g.below(3))) {
                    if k > 0 {
                        f.flow.sourcePort = f.flow.ipProtocol == .icmp ? 0 : UInt16(1000 + g.below(60000))
                        f.flow.bytesOut = g.below(300_000)
                        f.flow.packetsIn = g.below(200)
                        f.flow.start = Timestamp(nanoseconds: f.flow.start.nanoseconds + g.below(500_000_000))
                        f.flow.end = Timestamp(nanoseconds: f.flow.start.nanoseconds + g.below(3_000_000_000))
                    }
                    flows.append(f)
                }
            }
            // Every other store mixes in flows stored without a cluster (no annotation, node or
            // domain names), as `flowlog replay` without `--cluster` writes them.
            if n % 2 == 1 {
                for i in flows.indices where g.below(3) == 0 {
                    flows[i].annotation = nil
                    flows[i].node = ""
                    flows[i].destinationDomains = .none
                }
            }
            let dir = StoreQueryTests.temporaryDirectory()
            defer { StoreQueryTests.removeTree(dir) }
            let writer = try SegmentWriter(directory: dir, configuration: StoreConfiguration(blockRecords: blockSize, fsync: .onSeal))
            try writer.append(flows)
            try writer.close()
            let first = flows.map(\.flow.start).min()!.nanoseconds
            // The full scan reading rows where they lie (`scanRows`, every field of every row
            // from the block's columns and dictionary numbers) against the plain scan's records,
            // whole and in a window.
            let reader = try StoreReader(directory: dir)
            for (since, until) in [(nil, nil), (Timestamp(nanoseconds: first + 200_000_000_000), Timestamp(nanoseconds: first + 500_000_000_000))] {
                var plain = CollectingVisitor()
                let plainStats = try reader.scan(since: since, until: until, visitor: &plain)
                var rows = RowRebuildingVisitor()
                let rowStats = try reader.scanRows(since: since, until: until, visitor: &rows)
                #expect(rows.flows == plain.flows, "seed \(seed), blocks of \(blockSize), since \(String(describing: since))")
                var parts = PartsRebuildingVisitor()
                _ = try reader.scanRows(since: since, until: until, visitor: &parts)
                #expect(parts.flows == plain.flows, "seed \(seed), blocks of \(blockSize), since \(String(describing: since))")
                #expect(rowStats.flowsVisited == plainStats.flowsVisited && rowStats.blocksRead == plainStats.blocksRead)
                #expect(plain.flows.count > 0 && plain.flows.count == flows.filter { TimeWindow(since: since, until: until).contains($0.flow) }.count)
            }
            let v6Atoms = ["ip 2001:db8::/32", "src.ip 2001:db8::a00:0/104", "dst.ip 2001:db8::a01:0/112",
                           "ip 2001:db8::/32 and proto tcp", "not ip 2001:db8::/32 and ip 10.0.0.0/12"]
            for round in 0..<40 {
                let filter = g.below(6) == 0 ? g.pick(v6Atoms) : Self.randomFilter(&g)
                let program = try FilterProgram(parsing: filter)
                let window = round % 4 == 0
                    ? TimeWindow(since: Timestamp(nanoseconds: first + 200_000_000_000), until: Timestamp(nanoseconds: first + 500_000_000_000))
                    : TimeWindow()
                let plan = QueryPlan(filter: program, window: window, format: .csv, fields: OutputField.allCases, order: .stored)
                var fromStore = OutputBuffer(target: .memory)
                let stats = try QueryEngine.run(plan, directory: dir, into: &fromStore)
                var fromMemory = OutputBuffer(target: .memory)
                _ = try QueryEngine.run(plan, over: InMemoryFlowSource(flows: flows, blockSize: blockSize), into: &fromMemory)
                #expect(fromStore.text == fromMemory.text, "seed \(seed), blocks of \(blockSize), filter: \(filter)")
                let expected = flows.filter { window.contains($0.flow) && program.matches($0) }.count
                #expect(stats.flowsMatched == UInt64(expected), "filter: \(filter)")
                compared += 1
                if expected > 0 { nonEmpty += 1 }
            }
        }
        #expect(compared == 160)
        #expect(nonEmpty > 50)
    }

    /// Per conversation the filter is decided once when it reads no per-row field; with a
    /// counter only the undecided conversations' rows are tested.
    @Test func conversationsAreDecidedWholeWhenTheyCanBe() throws {
        var withoutRows = try #require(ColumnFilter(try FilterProgram(parsing: "proto tcp and src.namespace shop").expression))
        #expect(!withoutRows.readsRows)
        let withRows = try #require(ColumnFilter(try FilterProgram(parsing: "proto tcp and bytes > 100000").expression))
        #expect(withRows.readsRows)
        // `port` (either side) reads the source port of each row and the destination port once.
        let either = try #require(ColumnFilter(try FilterProgram(parsing: "port 443").expression))
        #expect(either.steps == [.sourcePort(.equal, 443), .leaf(0), .or])
        withoutRows = try #require(ColumnFilter(FilterExpression.all))
        #expect(withoutRows.steps == [.constant(true)])
    }

    /// A filter with more leaves than the registers hold is not compiled; the scan then tests
    /// whole records, with the same answer.
    @Test func largeFiltersFallBackToWholeRecords() throws {
        let text = (0..<70).map { "dst.port \($0 + 30000)" }.joined(separator: " or ")
        let program = try FilterProgram(parsing: text)
        #expect(ColumnFilter(program.expression) == nil)
        let dir = StoreQueryTests.temporaryDirectory()
        defer { StoreQueryTests.removeTree(dir) }
        let writer = try SegmentWriter(directory: dir, configuration: StoreConfiguration(blockRecords: 256, fsync: .onSeal))
        try writer.append(Self.flows)
        try writer.close()
        let (store, memory, stats) = try rows(text, window: TimeWindow(), store: dir)
        #expect(store == memory)
        #expect(stats.flowsMatched == UInt64(Self.flows.filter { program.matches($0) }.count))
    }
}

/// Every flow of a plain scan, as whole records.
struct CollectingVisitor: StoreVisitor {
    var flows: [AnnotatedFlow] = []
    mutating func shouldRead(block digest: BlockDigest) -> Bool { true }
    mutating func visit(_ flow: AnnotatedFlow) -> Bool {
        flows.append(flow)
        return true
    }
}

/// Every flow of a `scanRows`, rebuilt from what a row visitor reads: the row's columns, its
/// prepared record's annotation parts, node and domain names, identities and traces by number.
struct RowRebuildingVisitor: StoreRowVisitor {
    var flows: [AnnotatedFlow] = []
    mutating func shouldRead(block digest: BlockDigest) -> Bool { true }
    mutating func visit(rows b: BlockRows) -> Bool {
        for row in 0..<b.rowCount {
            let t = b.preparedIndex(ofConversation: b.conversation(ofRow: row))
            var annotation: FlowAnnotation?
            if let a = b.preparedAnnotationNumber(t) {
                let p = b.annotationParts(a)
                annotation = FlowAnnotation(source: b.identity(p.source), destination: b.identity(p.destination),
                                            destinationService: b.string(p.destinationService), verdict: p.verdict,
                                            egress: p.egress.map(b.trace), ingress: p.ingress.map(b.trace),
                                            pendingEgress: p.pendingEgress.map(b.trace), pendingIngress: p.pendingIngress.map(b.trace))
            }
            flows.append(AnnotatedFlow(flow: b.record(row), annotation: annotation, node: b.preparedNode(t),
                                       destinationDomains: b.preparedDomains(t)))
        }
        return true
    }
}

/// The same from the numbers alone, as a reader that builds nothing would read them: every
/// dictionary entry in stored order (`forEachAnnotation`, `forEachPrepared`), strings from
/// their bytes, identities, label sets and traces from their parts' numbers.
struct PartsRebuildingVisitor: StoreRowVisitor {
    var flows: [AnnotatedFlow] = []
    mutating func shouldRead(block digest: BlockDigest) -> Bool { true }
    mutating func visit(rows b: BlockRows) -> Bool {
        let strings = (0..<b.stringCount).map { n in b.withStringBytes(n) { String(decoding: $0, as: UTF8.self) } }
        let labelSets = (0..<b.labelSetCount).map { n in
            var labels: [String: String] = [:]
            b.forEachLabel(inSet: n) { key, value in labels[strings[key]] = strings[value] }
            return labels
        }
        let identities = (0..<b.identityCount).map { n in
            let p = b.identityParts(n)
            return EndpointIdentity(kind: p.kind, namespace: strings[p.namespace], name: strings[p.name],
                                    aggregatedName: strings[p.aggregatedName], labels: labelSets[p.labelSet],
                                    serviceAccount: strings[p.serviceAccount])
        }
        let traces = (0..<b.traceCount).map { n in
            var hits: [PolicyHit] = []
            let head = b.traceParts(n) { h in
                hits.append(PolicyHit(index: h.index, tier: strings[h.tier], kind: h.kind, namespace: strings[h.namespace],
                                      name: strings[h.name], action: h.action, ruleIndex: h.ruleIndex))
            }
            #expect(head.hits == hits.count)
            return PolicyTrace(reporter: head.reporter, action: head.action, hits: hits)
        }
        var annotations: [FlowAnnotation] = []
        b.forEachAnnotation { p in
            annotations.append(FlowAnnotation(source: identities[p.source], destination: identities[p.destination],
                                              destinationService: strings[p.destinationService], verdict: p.verdict,
                                              egress: p.egress.map { traces[$0] }, ingress: p.ingress.map { traces[$0] },
                                              pendingEgress: p.pendingEgress.map { traces[$0] },
                                              pendingIngress: p.pendingIngress.map { traces[$0] }))
        }
        #expect(annotations.count == b.annotationCount)
        // The same annotations through their outcomes (the form a reader folding each outcome
        // once uses).
        var outcomes: [OutcomeParts] = []
        b.forEachOutcome { outcomes.append($0) }
        #expect(outcomes.count == b.outcomeCount)
        struct Flat: Equatable {
            var source, destination, service: Int
            var verdict: Verdict
            var traces: [Int?]
        }
        var byOutcome: [Flat] = []
        b.forEachAnnotationByOutcome { source, destination, o in
            let p = outcomes[o]
            byOutcome.append(Flat(source: source, destination: destination, service: p.destinationService, verdict: p.verdict,
                                  traces: [p.egress, p.ingress, p.pendingEgress, p.pendingIngress]))
        }
        func flat(_ p: AnnotationParts) -> Flat {
            Flat(source: p.source, destination: p.destination, service: p.destinationService, verdict: p.verdict,
                 traces: [p.egress, p.ingress, p.pendingEgress, p.pendingIngress])
        }
        var parts: [Flat] = []
        b.forEachAnnotation { parts.append(flat($0)) }
        #expect(byOutcome == parts)
        #expect(parts == (0..<b.annotationCount).map { flat(b.annotationParts($0)) })
        var prepared: [AnnotatedFlow] = []
        b.forEachPrepared { annotation, node, domains in
            prepared.append(AnnotatedFlow(flow: FlowRecord(sourceAddress: IPAddress(ipv4: 0), destinationAddress: IPAddress(ipv4: 0),
                                                           destinationPort: 0, ipProtocol: .tcp, start: .zero, end: .zero),
                                          annotation: annotation.map { annotations[$0] }, node: node.map { strings[$0] } ?? "",
                                          destinationDomains: domains.map { b.domainSet($0) } ?? .none))
        }
        #expect(prepared.count == b.preparedCount)
        for row in 0..<b.rowCount {
            let c = b.conversation(ofRow: row)
            var r = b.conversationColumns.record(c)
            r.sourcePort = b.sourcePort(ofRow: row)
            r.icmpType = b.icmpType(ofRow: row)
            r.icmpCode = b.icmpCode(ofRow: row)
            r.tcpFlagsOut = b.tcpFlagsOut(ofRow: row)
            r.tcpFlagsIn = b.tcpFlagsIn(ofRow: row)
            r.status = b.status(ofRow: row)
            r.start = b.start(ofRow: row)
            r.end = b.end(ofRow: row)
            r.packetsOut = b.packetsOut(ofRow: row)
            r.bytesOut = b.bytesOut(ofRow: row)
            r.packetsIn = b.packetsIn(ofRow: row)
            r.bytesIn = b.bytesIn(ofRow: row)
            var flow = prepared[b.preparedIndex(ofConversation: c)]
            flow.flow = r
            flows.append(flow)
        }
        return true
    }
}
