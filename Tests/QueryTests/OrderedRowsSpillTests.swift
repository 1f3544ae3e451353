import FlowCore
import SegmentStore
import Testing
@testable import Query

/// `--order newest|packets|bytes` over more rows than it holds in memory: sorted runs in
/// temporary files, merged (`SpilledRuns`), must print exactly what sorting every row in
/// memory prints, in every format, with and without a limit.
@Suite struct OrderedRowsSpillTests {
    /// Flows with many equal counters and starts, so ties (broken by scan order) matter.
    static let flows: [AnnotatedFlow] = {
        var g = SplitMix64(seed: 91)
        return SampleFlows.make(count: 900, seed: 12).map { base in
            var f = base
            f.flow.bytesOut = g.below(6) * 1000
            f.flow.bytesIn = g.below(3) * 500
            f.flow.packetsOut = g.below(4)
            f.flow.packetsIn = g.below(4)
            if g.below(4) == 0 { f.flow.start = SampleFlows.base }
            return f
        }
    }()

    func run(_ plan: QueryPlan, source: InMemoryFlowSource) throws -> (String, QueryStatistics) {
        var out = OutputBuffer(target: .memory)
        let stats = try QueryEngine.run(plan, over: source, into: &out)
        return (out.text, stats)
    }

    @Test func spilledRunsPrintWhatSortingInMemoryPrints() throws {
        let source = InMemoryFlowSource(flows: Self.flows, blockSize: 128)
        var g = SplitMix64(seed: 5)
        var spilled = 0
        for round in 0..<60 {
            let order = g.pick([ResultOrder.newest, .packets, .bytes, .time])
            let format = g.pick([OutputFormat.csv, .ndjson, .json])
            var limit: Int? = g.pick([nil, nil, 1, 40, 700, 5000])
            // Oldest first without a limit streams (`TimeOrderedRowsSink`), holding no run.
            if order == .time, limit == nil { limit = 40 }
            let filter = g.pick(["", "proto tcp", "bytes > 2000", "namespace shop"])
            var plan = QueryPlan(filter: try FilterProgram(parsing: filter), format: format, fields: OutputField.allCases,
                                 order: order, limit: limit)
            let (expected, _) = try run(plan, source: source)
            plan.spillRows = g.pick([1, 7, 64, 333])
            let (actual, stats) = try run(plan, source: source)
            #expect(actual == expected, "round \(round): order \(order), \(format), limit \(String(describing: limit)), filter '\(filter)', runs of \(plan.spillRows)")
            #expect(stats.peakRowsHeld <= max(plan.spillRows, limit ?? 0))
            if stats.flowsMatched > UInt64(plan.spillRows) && (limit ?? .max) > plan.spillRows { spilled += 1 }
        }
        // Most rounds did go through files.
        #expect(spilled > 20)
    }

    @Test func aStoreOrderedThroughFilesMatchesTheHeldOrder() throws {
        let dir = StoreQueryTests.temporaryDirectory()
        defer { StoreQueryTests.removeTree(dir) }
        let writer = try SegmentWriter(directory: dir, configuration: StoreConfiguration(blockRecords: 100, fsync: .onSeal))
        try writer.append(Self.flows)
        try writer.close()
        for order in [ResultOrder.newest, .bytes] {
            var plan = QueryPlan(filter: try FilterProgram(parsing: ""), format: .csv, order: order)
            var held = OutputBuffer(target: .memory)
            _ = try QueryEngine.run(plan, directory: dir, into: &held)
            plan.spillRows = 50
            var merged = OutputBuffer(target: .memory)
            let stats = try QueryEngine.run(plan, directory: dir, into: &merged)
            #expect(merged.text == held.text)
            #expect(stats.peakRowsHeld == 50)
        }
    }

    /// Tables hold their rows (their cells come from whole records): same answer, no files.
    @Test func tablesAreNotSpilled() throws {
        var plan = QueryPlan(filter: try FilterProgram(parsing: ""), format: .table, order: .bytes)
        let source = InMemoryFlowSource(flows: Self.flows, blockSize: 128)
        let (expected, _) = try run(plan, source: source)
        plan.spillRows = 10
        plan.spillDirectory = "/nonexistent/flowlog-test"
        let (text, stats) = try run(plan, source: source)
        #expect(stats.peakRowsHeld == Self.flows.count)
        #expect(text == expected)
    }

    @Test func anUnwritableDirectoryIsAClearError() throws {
        var plan = QueryPlan(filter: try FilterProgram(parsing: ""), format: .csv, order: .bytes)
        plan.spillRows = 10
        plan.spillDirectory = "/nonexistent/flowlog-test"
        do {
            _ = try run(plan, source: InMemoryFlowSource(flows: Self.flows, blockSize: 128))
            Issue.record("ordering through a missing directory succeeded")
        } catch let error as FlowlogError {
            #expect(error.code == .io)
            #expect(error.location?.file?.hasPrefix("/nonexistent/flowlog-test/flowlog-order-") == true)
            #expect(error.message.contains("temporary file"))
        }
    }
}
