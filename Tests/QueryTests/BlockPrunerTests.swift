import FlowCore
import Testing
@testable import Query

/// Index pruning: a skipped block never holds a matching flow, and selective queries do skip.
@Suite struct BlockPrunerTests {
    static let flows = SampleFlows.make(count: 4096, seed: 11, clustered: true)
    static let source = InMemoryFlowSource(flows: flows, blockSize: 64)

    static let filters = FilterEvaluationTests.cases.map(\.0) + [
        "not src.namespace shop",
        "not (src.namespace shop or src.namespace db)",
        "src.namespace shop or proto icmp",
        "not proto tcp",
        "not verdict deny and not verdict allow",
        "dst.ip 10.2.0.0/16 and not dst.ip 10.2.0.0/20",
        "src.ip 10.4.0.0/16",
        "src.ip 10.0.0.0/8",
        "src.port 22",
        "dst.port 9999",
        "node node-7",
        "service nowhere/none",
        "tier nosuchtier or src.namespace payments",
        "src.namespace shop and src.namespace db",
    ]

    @Test(arguments: filters)
    func skippedBlocksHoldNoMatch(_ text: String) throws {
        let program = try FilterProgram(parsing: text)
        let pruner = BlockPruner(filter: program.expression)
        for (i, block) in Self.source.blocks.enumerated() where !pruner.mayMatch(Self.source.digests[i]) {
            let matching = block.filter { program.matches($0) }
            #expect(matching.isEmpty, "'\(text)' skipped block \(i) holding \(matching.count) match(es)")
        }
    }

    func skipped(_ text: String, since: Timestamp? = nil, until: Timestamp? = nil) throws -> Int {
        let pruner = BlockPruner(filter: try FilterProgram(parsing: text).expression, since: since, until: until)
        return Self.source.digests.filter { !pruner.mayMatch($0) }.count
    }

    @Test func selectiveFiltersSkip() throws {
        let blocks = Self.source.blocks.count
        // Runs of 64 flows share a source namespace, one of five: four in five blocks go.
        #expect(try skipped("src.namespace shop") >= blocks * 3 / 4)
        #expect(try skipped("src.namespace shop and verdict deny") >= blocks * 3 / 4)
        // `not` over Bloom answers proves nothing, so only the positive half prunes here.
        #expect(try skipped("not (src.namespace shop or src.namespace db) and src.namespace db") >= blocks * 3 / 4)
        // Both namespaces in one single-namespace block: only Bloom false positives (≈1 %) are read.
        #expect(try skipped("src.namespace shop and src.namespace db") >= blocks - 2)
        #expect(try skipped("src.ip 10.4.0.0/16") >= blocks * 3 / 4)
        #expect(try skipped("dst.port 9999") >= blocks * 9 / 10)
        #expect(try skipped("node node-7") >= blocks * 9 / 10)
        // Things the digest cannot answer read everything.
        #expect(try skipped("bytes > 100") == 0)
        #expect(try skipped("not src.namespace shop") == 0)
        #expect(try skipped("src.pod web-*") == 0)
    }

    @Test func timeWindowSkipsOutsideBlocks() throws {
        let base = SampleFlows.base.nanoseconds
        let since = Timestamp(nanoseconds: base + 1000 * 1_000_000_000)
        let until = Timestamp(nanoseconds: base + 1200 * 1_000_000_000)
        let pruner = BlockPruner(filter: .all, since: since, until: until)
        let window = TimeWindow(since: since, until: until)
        var read = 0
        for (i, block) in Self.source.blocks.enumerated() {
            if pruner.mayMatch(Self.source.digests[i]) { read += 1; continue }
            #expect(!block.contains { window.contains($0.flow) }, "block \(i) skipped with a flow in the window")
        }
        // 200 s of one-second flows in blocks of 64 seconds: four or five blocks.
        #expect(read >= 4 && read <= 5)
    }

    /// The goal: an hour out of a day reads at most a twentieth of the blocks.
    @Test func oneHourOfADayReadsAFewPercent() throws {
        let day = SampleFlows.make(count: 8640, seed: 5, spacingSeconds: 10)
        let store = InMemoryFlowSource(flows: day, blockSize: 16)
        let since = Timestamp(nanoseconds: SampleFlows.base.nanoseconds + 12 * 3_600_000_000_000)
        let plan = QueryPlan(filter: try FilterProgram(parsing: ""),
                             window: TimeWindow(since: since, until: Timestamp(nanoseconds: since.nanoseconds + 3_600_000_000_000)),
                             format: .csv)
        var out = OutputBuffer(target: .memory)
        let stats = try QueryEngine.run(plan, over: store, into: &out)
        #expect(stats.blocksTotal == 540)
        #expect(stats.blocksRead * 20 <= stats.blocksTotal, "read \(stats.blocksRead) of \(stats.blocksTotal)")
        #expect(stats.flowsMatched == UInt64(day.filter { plan.window.contains($0.flow) }.count))
    }
}
