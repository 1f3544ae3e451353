import FlowCore
import SegmentStore
import Testing
@testable import Query

/// The column-wise group-by (records summed per conversation, blocks split over threads) must
/// answer exactly what the row path and a brute-force count answer.
@Suite struct ConversationSumTests {
    /// 400 conversations with 8 records each (other source ports, counters and times), so
    /// blocks of 64 hold a conversation several times and a conversation spans blocks.
    static let flows: [AnnotatedFlow] = {
        var g = SplitMix64(seed: 31)
        var out: [AnnotatedFlow] = []
        for (n, conversation) in SampleFlows.make(count: 400, seed: 5, clustered: true).enumerated() {
            for k in 0..<8 {
                var record = conversation
                record.flow.sourcePort = UInt16(40000 + k)
                record.flow.packetsOut = 1 + g.next() % 50
                record.flow.bytesOut = 40 + g.next() % 90_000
                record.flow.packetsIn = g.next() % 50
                record.flow.bytesIn = g.next() % 120_000
                let start = SampleFlows.base.nanoseconds + UInt64(n * 8 + k) * 1_000_000_000
                record.flow.start = Timestamp(nanoseconds: start)
                record.flow.end = Timestamp(nanoseconds: start + g.next() % 3_000_000_000)
                out.append(record)
            }
        }
        return out
    }()

    static let groupings = ["dst.port", "src.namespace,action", "proto,dst.port", "src.ip", "dst.labels", "host",
                            "policies", "vlan", "dst.service", "src.type,dst.type,reporter"]
    static let filters = ["", "src.namespace shop", "verdict deny or dst.port 5432", "not policy lockdown",
                          "src.ip 10.0.0.0/8 and proto tcp", "node node-1", "dst.labels \"app == 'web'\""]

    func run(_ plan: QueryPlan, directory: String) throws -> (String, QueryStatistics) {
        var out = OutputBuffer(target: .memory)
        let stats = try QueryEngine.run(plan, directory: directory, into: &out)
        return (out.text, stats)
    }

    func plan(_ filter: String, _ groupBy: String, order: ResultOrder = .bytes, threads: Int = 1, rows: Bool = false,
              window: TimeWindow = TimeWindow()) throws -> QueryPlan {
        var plan = QueryPlan(filter: try FilterProgram(parsing: filter), window: window, format: .csv,
                             groupBy: try OutputField.list(groupBy, option: "--group-by"), order: order)
        plan.threads = threads
        plan.allowsConversationSums = !rows
        return plan
    }

    @Test func sumsAnswerWhatRowsAnswerForEveryKeyAndFilter() throws {
        let dir = try StoreQueryTests.makeStore(Self.flows)
        defer { StoreQueryTests.removeTree(dir) }
        for groupBy in Self.groupings {
            for filter in Self.filters {
                let (rows, rowStats) = try run(try plan(filter, groupBy, rows: true), directory: dir)
                for threads in [1, 2, 3] {
                    let sumsPlan = try plan(filter, groupBy, threads: threads)
                    #expect(sumsPlan.readsConversationSums)
                    let (sums, stats) = try run(sumsPlan, directory: dir)
                    #expect(sums == rows, "group-by \(groupBy), filter '\(filter)', \(threads) threads")
                    #expect(stats.flowsScanned == rowStats.flowsScanned)
                    #expect(stats.flowsMatched == rowStats.flowsMatched)
                    #expect(stats.blocksRead == rowStats.blocksRead)
                    #expect(stats.conversationSums > 0 && stats.conversationSums < Self.flows.count)
                }
            }
        }
    }

    @Test func bytesPerDestinationPortMatchABruteForceCount() throws {
        let dir = try StoreQueryTests.makeStore(Self.flows)
        defer { StoreQueryTests.removeTree(dir) }
        var expected: [String: (flows: UInt64, packets: UInt64, bytes: UInt64)] = [:]
        for f in Self.flows where f.annotation?.verdict != .deny {
            let port = SampleFlows.portText(f.flow.destinationPort, f.flow)
            var t = expected[port, default: (0, 0, 0)]
            t.flows += 1
            t.packets += f.flow.packets
            t.bytes += f.flow.bytes
            expected[port] = t
        }
        let (text, _) = try run(try plan("not verdict deny", "dst.port", threads: 2), directory: dir)
        let rows = Array(CSVReader.rows(text).dropFirst())
        #expect(rows.count == expected.count)
        var previous = UInt64.max
        for row in rows {
            let t = try #require(expected[row[0]])
            #expect(row[1] == String(t.flows) && row[2] == String(t.packets) && row[3] == String(t.bytes), "port \(row[0])")
            // Ranked by bytes, largest first.
            let bytes = UInt64(row[3])!
            #expect(bytes <= previous)
            previous = bytes
        }
    }

    @Test func timeWindowsCutRecordsNotConversations() throws {
        let dir = try StoreQueryTests.makeStore(Self.flows)
        defer { StoreQueryTests.removeTree(dir) }
        // Bounds fall inside blocks and inside conversations (8 one-second records each).
        let since = Timestamp(nanoseconds: SampleFlows.base.nanoseconds + 1003 * 1_000_000_000)
        let until = Timestamp(nanoseconds: SampleFlows.base.nanoseconds + 2101 * 1_000_000_000 + 500_000_000)
        let window = TimeWindow(since: since, until: until)
        for groupBy in ["dst.port", "src.namespace,dst.namespace"] {
            let (rows, rowStats) = try run(try plan("", groupBy, rows: true, window: window), directory: dir)
            let (sums, stats) = try run(try plan("", groupBy, threads: 2, window: window), directory: dir)
            #expect(sums == rows)
            #expect(stats.flowsMatched == rowStats.flowsMatched)
            let expected = Self.flows.filter { $0.flow.start < until && $0.flow.end >= since }.count
            #expect(stats.flowsMatched == UInt64(expected))
            #expect(stats.blocksSkipped > 0)
        }
    }

    @Test func onlyConversationQuestionsReadSums() throws {
        #expect(try plan("", "dst.port").readsConversationSums)
        #expect(try plan("policy lockdown and dst.port 443", "src.namespace").readsConversationSums)
        #expect(try !plan("", "src.port").readsConversationSums)
        #expect(try !plan("", "dst.port,start_time").readsConversationSums)
        #expect(try !plan("bytes > 1000", "dst.port").readsConversationSums)
        #expect(try !plan("src.port 443", "dst.port").readsConversationSums)
        #expect(try !plan("port 443", "dst.port").readsConversationSums)  // either side: the source port too
        #expect(try !plan("", "dst.port", rows: true).readsConversationSums)
        var limited = try plan("", "dst.port")
        limited.limit = 10
        #expect(!limited.readsConversationSums)
        #expect(!QueryPlan(filter: try FilterProgram(parsing: "")).readsConversationSums)
    }

    @Test func inMemoryFlowsSumLikeTheStore() throws {
        let dir = try StoreQueryTests.makeStore(Self.flows)
        defer { StoreQueryTests.removeTree(dir) }
        let source = InMemoryFlowSource(flows: Self.flows, blockSize: 64)
        for groupBy in ["dst.port", "src.namespace,action,policies"] {
            let p = try plan("not src.namespace db", groupBy)
            var memory = OutputBuffer(target: .memory)
            _ = try QueryEngine.run(p, over: source, into: &memory)
            #expect(memory.text == (try run(p, directory: dir).0))
        }
    }

    @Test func memoKeepsBlocksApart() throws {
        // Template numbers restart per block: a memo over annotation fields is cleared per block.
        var memo = ConversationMemo(needs: try #require(OutputField.sourceNamespace.conversationFields))
        let flow = FlowRecord(sourceAddress: IPAddress(ipv4: 1), destinationAddress: IPAddress(ipv4: 2), ipProtocol: .tcp,
                              start: .zero, end: .zero)
        let code = memo.code(flow, template: 3)!
        memo.remember(code, slot: 7)
        #expect(memo.slot(for: code) == 7)
        memo.beginBlock()
        #expect(memo.slot(for: code) == nil)
        // Route-only keys carry over, and addresses are never memoised.
        var ports = ConversationMemo(needs: try #require(OutputField.destPort.conversationFields))
        ports.remember(ports.code(flow, template: 0)!, slot: 2)
        ports.beginBlock()
        #expect(ports.slot(for: ports.code(flow, template: 5)!) == 2)
        #expect(ConversationMemo(needs: try #require(OutputField.sourceIP.conversationFields)).code(flow, template: 0) == nil)
    }
}
