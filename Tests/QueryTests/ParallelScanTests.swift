#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore
@testable import SegmentStore
import Testing
@testable import Query

/// The row scan on several threads (`StoreReader.scanBlocks`: blocks decoded and filtered by
/// workers, matches handed over in scan order) against the scan on the calling thread alone:
/// random stores, random filters, windows, formats, orders, limits and top-N must print the
/// same bytes and report the same statistics whatever the thread count.
@Suite struct ParallelScanTests {
    /// Random flows like `ColumnFilterTests`' (conversations repeated with other counters, some
    /// over IPv6, some without annotation), with many equal counters so ties keep scan order.
    static func flows(seed: UInt64, count: Int) -> [AnnotatedFlow] {
        var g = SplitMix64(seed: seed)
        var flows: [AnnotatedFlow] = []
        for base in SampleFlows.make(count: count, seed: seed, clustered: seed % 2 == 0) {
            var f = base
            if g.below(5) == 0 {
                f.flow.sourceAddress = IPAddress(ipv6High: 0x2001_0DB8_0000_0000, low: f.flow.sourceAddress.low)
                f.flow.destinationAddress = IPAddress(ipv6High: 0x2001_0DB8_0000_0000, low: f.flow.destinationAddress.low)
            }
            if g.below(4) == 0 {
                f.annotation = nil
                f.node = ""
                f.destinationDomains = .none
            }
            for k in 0..<(1 + Int(g.below(3))) {
                if k > 0 {
                    f.flow.sourcePort = f.flow.ipProtocol == .icmp ? 0 : UInt16(1000 + g.below(60000))
                    f.flow.bytesOut = g.below(6) * 1000
                    f.flow.packetsIn = g.below(4)
                    f.flow.start = Timestamp(nanoseconds: f.flow.start.nanoseconds + g.below(500_000_000))
                    f.flow.end = Timestamp(nanoseconds: f.flow.start.nanoseconds + g.below(3_000_000_000))
                }
                flows.append(f)
            }
        }
        return flows
    }

    /// Writes `flows` into a fresh store of `blockRecords`-record blocks, several segments when
    /// `segmentBytes` is small.
    static func store(_ flows: [AnnotatedFlow], blockRecords: Int, segmentBytes: Int) throws -> String {
        let dir = StoreQueryTests.temporaryDirectory()
        let writer = try SegmentWriter(directory: dir, configuration: StoreConfiguration(
            blockRecords: blockRecords, segmentMaxBytes: segmentBytes, fsync: .onSeal))
        var at = 0
        while at < flows.count {
            let end = min(flows.count, at + 300)
            try writer.append(Array(flows[at..<end]))
            at = end
        }
        try writer.close()
        return dir
    }

    static func run(_ plan: QueryPlan, threads: Int, store: String) throws -> (String, QueryStatistics) {
        var plan = plan
        plan.threads = threads
        var out = OutputBuffer(target: .memory)
        var stats = try QueryEngine.run(plan, directory: store, into: &out)
        stats.elapsedSeconds = 0
        return (out.text, stats)
    }

    /// A random plan that prints flow rows (or groups read as rows).
    static func randomPlan(_ g: inout SplitMix64, first: UInt64) throws -> (QueryPlan, String) {
        let filter = g.below(4) == 0 ? "" : ColumnFilterTests.randomFilter(&g)
        let window = g.below(4) == 0
            ? TimeWindow(since: Timestamp(nanoseconds: first + 200_000_000_000), until: Timestamp(nanoseconds: first + 500_000_000_000))
            : TimeWindow()
        let format = g.pick([OutputFormat.csv, .csv, .ndjson, .json, .table])
        var plan: QueryPlan
        if g.below(6) == 0 {
            // Top-N groups, summed from rows (the column-wise group-by has its own threads).
            plan = QueryPlan(filter: try FilterProgram(parsing: filter), window: window, format: format,
                             groupBy: [g.pick([OutputField.destPort, .sourceNamespace, .sourcePort])], top: g.pick([nil, 3, 10]),
                             order: g.pick([nil, ResultOrder.bytes, .packets, .flows]), limit: g.pick([nil, nil, 50]))
            plan.allowsConversationSums = false
        } else {
            let order = g.pick([ResultOrder.stored, .stored, .time, .newest, .bytes, .packets])
            let top: Int? = order != .stored && g.below(5) == 0 ? g.pick([1, 10]) : nil
            plan = QueryPlan(filter: try FilterProgram(parsing: filter), window: window, format: format,
                             fields: g.below(2) == 0 ? OutputField.allCases : nil, top: top, order: order,
                             limit: g.pick([nil, nil, 1, 7, 100, 5000]))
            plan.spillRows = g.pick([QueryPlan.defaultSpillRows, 97])
        }
        let described = "filter '\(filter)', window \(window.since != nil), \(format), order \(String(describing: plan.order)), "
            + "limit \(String(describing: plan.limit)), top \(String(describing: plan.top)), group by \(plan.groupBy)"
        return (plan, described)
    }

    @Test func everyThreadCountPrintsWhatOneThreadPrints() throws {
        var g = SplitMix64(seed: 1818)
        var compared = 0, nonEmpty = 0
        for (n, (blockRecords, segmentBytes)) in [(64, 64 << 20), (200, 20_000), (1000, 64 << 20), (128, 8_000)].enumerated() {
            let flows = Self.flows(seed: 300 + UInt64(n), count: 600 + Int(g.below(700)))
            let dir = try Self.store(flows, blockRecords: blockRecords, segmentBytes: segmentBytes)
            defer { StoreQueryTests.removeTree(dir) }
            let first = flows.map(\.flow.start).min()!.nanoseconds
            for _ in 0..<30 {
                let (plan, described) = try Self.randomPlan(&g, first: first)
                let (expected, expectedStats) = try Self.run(plan, threads: 1, store: dir)
                for threads in [2, 3 + Int(g.below(4))] {
                    let (actual, stats) = try Self.run(plan, threads: threads, store: dir)
                    #expect(actual == expected, "store \(n), \(threads) threads: \(described)")
                    #expect(stats == expectedStats, "store \(n), \(threads) threads: \(described)")
                }
                compared += 1
                if expectedStats.flowsMatched > 0 { nonEmpty += 1 }
            }
        }
        #expect(compared == 120)
        #expect(nonEmpty > 60)
    }

    /// Damage read ahead by a worker is reported where a one-thread scan meets it, with the
    /// same rows around it; a scan that stops at its limit before the damage does not report it.
    @Test func damageIsReportedInScanOrder() throws {
        let flows = Self.flows(seed: 77, count: 900)
        let dir = try Self.store(flows, blockRecords: 100, segmentBytes: 64 << 20)
        defer { StoreQueryTests.removeTree(dir) }
        let reader = try StoreReader(directory: dir)
        let blocks = try reader.blocks(after: nil).blocks
        #expect(blocks.count > 8)
        // A byte in the middle of a later block's payload (the block fails its CRC).
        let path = dir + "/" + SegmentFormat.fileName(sequence: blocks[0].position.segment, open: false)
        let file = try PosixFile.openForReading(path)
        let damaged = try SegmentLayout.read(file).blocks[6]
        file.close()
        let offset = off_t(damaged.offset + UInt64(damaged.length / 2))
        let fd = open(path, O_RDWR)
        #expect(fd >= 0)
        var byte: UInt8 = 0
        #expect(pread(fd, &byte, 1, offset) == 1)
        byte ^= 0x5A
        #expect(pwrite(fd, &byte, 1, offset) == 1)
        close(fd)

        for limit in [nil, 5, 900] as [Int?] {
            let plan = QueryPlan(filter: try FilterProgram(parsing: ""), format: .csv, order: .stored, limit: limit)
            let (expected, expectedStats) = try Self.run(plan, threads: 1, store: dir)
            let (actual, stats) = try Self.run(plan, threads: 2, store: dir)
            #expect(actual == expected)
            #expect(stats == expectedStats)
            #expect(stats.problems.count == (limit == 5 ? 0 : 1), "limit \(String(describing: limit))")
        }
    }
}
