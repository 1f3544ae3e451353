@testable import ClickHouse
import FlowCore
import FlowTestSupport
import Query
import SegmentStore
import Testing

@Suite(.enabled(if: TestServer.available, TestServer.skipReason), .serialized)
struct ExportTests {
    func exporter(_ store: String, database: String, filter: String = "", batchRows: Int = 2000) throws -> ClickHouseExporter {
        var options = ClickHouseExporter.Options(storeDirectory: store)
        options.database = database
        options.filterText = filter
        options.batchRows = batchRows
        return try ClickHouseExporter(options: options, client: try TestServer.client(), metrics: ExportMetrics(), log: { _ in })
    }

    @Test func everyFlowOnceThenOnlyNewBlocks() throws {
        let client = try TestServer.client()
        let store = TestStore.temporaryDirectory("store")
        defer { TestStore.remove(store) }
        try TestStore.write(store, count: 12_000)
        let database = try TestServer.freshDatabase("export", on: [client])
        var e = try exporter(store, database: database)
        try e.prepare()
        let first = try e.exportAvailable()
        #expect(first.rows == 12_000 && first.blocks == 24 && first.batches >= 6)
        #expect(try TestServer.count(client, "SELECT count() FROM \(database).flows") == 12_000)
        #expect(try TestServer.count(client, "SELECT uniqExact(store_id, segment, block, row) FROM \(database).flows") == 12_000)
        #expect(try e.exportAvailable().rows == 0)
        #expect(e.metrics.snapshot.lagBlocks == 0 && e.metrics.snapshot.rowsExported == 12_000)
        e.close()

        // The writer adds a segment; a new exporter (a restart) sends only the new blocks.
        var generator = SyntheticFlowGenerator(seed: 99, pods: 50, namespaces: 5, flowsPerSecond: 50)
        let writer = try SegmentWriter(directory: store, configuration: StoreConfiguration(blockRecords: 500, fsync: .onSeal))
        try writer.append(generator.generate(3_000))
        try writer.close()
        e = try exporter(store, database: database)
        try e.prepare()
        #expect(try e.exportAvailable().rows == 3_000)
        #expect(try TestServer.count(client, "SELECT count() FROM \(database).flows") == 15_000)
        #expect(e.checkpoint.rowsExported == 15_000 && e.checkpoint.blocksExported == 30)
        e.close()
        try client.execute("DROP DATABASE \(database)")
    }

    @Test func aFilterExportsOnlyMatchingFlows() throws {
        let client = try TestServer.client()
        let store = TestStore.temporaryDirectory("filtered")
        defer { TestStore.remove(store) }
        let flows = try TestStore.write(store, count: 6_000)
        let database = try TestServer.freshDatabase("filter", on: [client])
        let e = try exporter(store, database: database, filter: "verdict deny or dst.port 53")
        try e.prepare()
        _ = try e.exportAvailable()
        let program = try FilterProgram(parsing: "verdict deny or dst.port 53")
        let expected = flows.filter(program.matches).count
        #expect(expected > 0 && expected < flows.count)
        #expect(try TestServer.count(client, "SELECT count() FROM \(database).flows") == UInt64(expected))
        e.close()
        // The checkpoint is tied to its filter.
        #expect(throws: FlowlogError.self) { _ = try exporter(store, database: database, filter: "verdict allow") }
        try client.execute("DROP DATABASE \(database)")
    }

    /// A crash between sending a batch and recording it leaves the batch pending; whatever
    /// part of it reached the table, settling it ends with every flow there exactly once.
    @Test(arguments: ["none", "half", "all"])
    func aPendingBatchIsSettledWhateverReachedTheTable(present: String) throws {
        let client = try TestServer.client()
        let store = TestStore.temporaryDirectory("pending-\(present)")
        defer { TestStore.remove(store) }
        let flows = try TestStore.write(store, count: 4_000)
        let database = try TestServer.freshDatabase("pending_\(present)", on: [client])
        var e = try exporter(store, database: database, batchRows: 1_000_000)
        try e.prepare()
        _ = try e.exportAvailable()
        let path = e.checkpointPath
        var checkpoint = e.checkpoint
        e.close()
        switch present {
        case "none": try client.execute("ALTER TABLE \(database).flows DELETE WHERE 1")
        case "half": try client.execute("ALTER TABLE \(database).flows DELETE WHERE row % 2 = 0")
        default: break
        }
        while try TestServer.count(client, "SELECT count() FROM system.mutations WHERE database = '\(database)' AND is_done = 0") > 0 {}
        // Rewind the checkpoint to "sent, not confirmed", with the units the batch had.
        let blocks = try StoreReader(directory: store).blocks(after: nil).blocks
        var byDay: [UInt32: ExportCheckpoint.Unit] = [:]
        for f in flows {
            let day = ClickHouseExporter.yyyymmdd(daysSinceEpoch: f.flow.start.seconds / 86_400)
            var u = byDay[day] ?? .init(day: day, rows: 0, minStart: .max, maxStart: 0, queryID: "flowlog-test-\(day)")
            u.rows += 1
            u.minStart = min(u.minStart, f.flow.start.nanoseconds)
            u.maxStart = max(u.maxStart, f.flow.start.nanoseconds)
            byDay[day] = u
        }
        checkpoint.exported = nil
        checkpoint.rowsExported = 0
        checkpoint.blocksExported = 0
        checkpoint.pending = .init(first: blocks.first!.position, last: blocks.last!.position, units: byDay.keys.sorted().map { byDay[$0]! })
        try checkpoint.store(path)

        e = try exporter(store, database: database, batchRows: 1_000_000)
        try e.prepare()
        #expect(e.checkpoint.pending == nil && e.checkpoint.exported == blocks.last!.position)
        #expect(try e.exportAvailable().rows == 0)
        #expect(try TestServer.count(client, "SELECT count() FROM \(database).flows") == 4_000)
        #expect(try TestServer.count(client, "SELECT uniqExact(segment, block, row) FROM \(database).flows") == 4_000)
        e.close()
        try client.execute("DROP DATABASE \(database)")
    }

    /// Both INSERT formats fill the table with the same rows, every field (domain names
    /// included) as stored.
    @Test func nativeAndRowBinaryFillTheTableAlike() throws {
        let client = try TestServer.client()
        let store = TestStore.temporaryDirectory("formats")
        defer { TestStore.remove(store) }
        let flows = try TestStore.write(store, count: 5_000, seed: 21)
        let database = try TestServer.freshDatabase("formats", on: [client])
        try client.execute("CREATE DATABASE \(database)_rb")
        for (db, format) in [(database, ClickHouseExporter.InsertFormat.native), (database + "_rb", .rowBinary)] {
            var options = ClickHouseExporter.Options(storeDirectory: store)
            options.database = db
            options.format = format
            options.batchRows = 1_500
            let e = try ClickHouseExporter(options: options, client: client, metrics: ExportMetrics(), log: { _ in })
            try e.prepare()
            #expect(try e.exportAvailable().rows == 5_000)
            e.close()
        }
        func rows(_ db: String) throws -> [UInt8] {
            try client.execute("SELECT \(FlowColumn.list(FlowColumn.allCases)) FROM \(db).flows ORDER BY \(ClickHouseQuery.storeOrder) FORMAT RowBinary")
        }
        let native = try rows(database), rowBinary = try rows(database + "_rb")
        #expect(native.count > 500_000 && native == rowBinary)
        var reader = RowBinaryReader(native)
        var decoder = FlowRowDecoder(columns: FlowColumn.allCases)
        var back: [AnnotatedFlow] = []
        while !reader.isAtEnd { back.append(try decoder.decodeRow(&reader)) }
        // Store order is the order the flows were written.
        #expect(back == flows)
        #expect(back.contains { $0.destinationDomains.names.count == 2 })
        try client.execute("DROP DATABASE \(database)")
        try client.execute("DROP DATABASE \(database)_rb")
    }

    /// A table made before `dst_domains` existed gains the column on the next export.
    @Test func aTableFromBeforeDomainNamesGainsTheColumn() throws {
        let client = try TestServer.client()
        let store = TestStore.temporaryDirectory("upgrade")
        defer { TestStore.remove(store) }
        let flows = try TestStore.write(store, count: 2_000, seed: 8)
        let database = try TestServer.freshDatabase("upgrade", on: [client])
        let old = ClickHouseSchema(database: database).statements[1]
            .split(separator: "\n").filter { !$0.contains("`dst_domains`") }.joined(separator: "\n")
        #expect(old.contains("`status` UInt16,") && !old.contains("dst_domains"))
        try client.execute(old)
        let e = try exporter(store, database: database)
        try e.prepare()
        _ = try e.exportAvailable()
        e.close()
        let columns = String(decoding: try client.execute("SELECT name FROM system.columns WHERE database = '\(database)' AND table = 'flows' FORMAT TSV"),
                             as: UTF8.self).split(separator: "\n")
        #expect(columns.firstIndex(of: "dst_domains") == columns.firstIndex(of: "status").map { $0 + 1 })
        #expect(try TestServer.count(client, "SELECT count() FROM \(database).flows WHERE notEmpty(dst_domains)")
            == UInt64(flows.filter { !$0.destinationDomains.isEmpty }.count))
        try client.execute("DROP DATABASE \(database)")
    }

    /// While ClickHouse is unreachable the lag counts every block behind; each pass lists only
    /// what the writer added since the last one, never the whole backlog again.
    @Test func lagIsKeptWithoutRescanningTheStore() throws {
        let store = TestStore.temporaryDirectory("lag")
        defer { TestStore.remove(store) }
        let flows = try TestStore.write(store, count: 6_000, seed: 4)
        var options = ClickHouseExporter.Options(storeDirectory: store)
        options.createTables = false
        let unreachable = ClickHouseClient(endpoint: try ClickHouseEndpoint(url: "http://127.0.0.1:1"), connectTimeout: .milliseconds(500))
        let down = try ClickHouseExporter(options: options, client: unreachable, metrics: ExportMetrics(), log: { _ in })
        #expect(throws: ClickHouseError.self) { _ = try down.exportAvailable() }
        var lag = down.metrics.snapshot
        #expect(lag.lagBlocks == 12 && lag.lagFlows == 6_000)
        #expect(lag.oldestUnexportedSeconds == flows.map(\.flow.start.seconds).min())
        #expect(down.blocksListed == 12)
        #expect(throws: ClickHouseError.self) { _ = try down.exportAvailable() }
        #expect(down.blocksListed == 12, "a second pass over an unchanged store lists nothing again")

        var generator = SyntheticFlowGenerator(seed: 5, pods: 40, namespaces: 4, flowsPerSecond: 50)
        let writer = try SegmentWriter(directory: store, configuration: StoreConfiguration(blockRecords: 500, fsync: .onSeal))
        try writer.append(generator.generate(1_000))
        try writer.close()
        #expect(throws: ClickHouseError.self) { _ = try down.exportAvailable() }
        lag = down.metrics.snapshot
        #expect(lag.lagBlocks == 14 && lag.lagFlows == 7_000 && down.blocksListed == 14, "\(lag), listed \(down.blocksListed)")
        #expect(down.metrics.snapshot.errors >= 3)
        down.close()

        // Reachable again: the lag drains to nothing, and the next pass lists nothing.
        let database = try TestServer.freshDatabase("lag", on: [try TestServer.client()])
        let up = try exporter(store, database: database, batchRows: 1_000)
        try up.prepare()
        #expect(try up.exportAvailable().rows == 7_000)
        lag = up.metrics.snapshot
        #expect(lag.lagBlocks == 0 && lag.lagFlows == 0 && lag.oldestUnexportedSeconds == 0)
        let listed = up.blocksListed
        #expect(try up.exportAvailable().rows == 0)
        #expect(up.blocksListed == listed)
        up.close()
        try TestServer.client().execute("DROP DATABASE \(database)")
    }

    @Test func theSchemaRunsOnTheServerSingleAndPerNodeCluster() throws {
        let client = try TestServer.client()
        let database = try TestServer.freshDatabase("schema", on: [client])
        for statement in ClickHouseSchema(database: database).statements { try client.execute(statement) }
        for statement in ClickHouseSchema(database: database).statements { try client.execute(statement) }  // idempotent
        let cluster = TestServer.cluster ?? "flowlog_test"
        let perNode = database + "_cluster"
        for statement in ClickHouseSchema(database: perNode, cluster: cluster, onCluster: false).statements { try client.execute(statement) }
        func tables(_ db: String) throws -> String {
            String(decoding: try client.execute("SELECT name, engine FROM system.tables WHERE database = '\(db)' ORDER BY name FORMAT TSV"), as: UTF8.self)
        }
        #expect(try tables(database) == "flows\tMergeTree\n")
        #expect(try tables(perNode) == "flows\tDistributed\nflows_local\tMergeTree\n")
        try client.execute("DROP DATABASE \(perNode)")
        #expect(!ClickHouseSchema(database: database, cluster: cluster).statements.allSatisfy { !$0.contains("ON CLUSTER") })
        #expect(ClickHouseSchema(cluster: cluster, replicated: true).statements[1].contains("ReplicatedMergeTree('/clickhouse/tables/{shard}/flowlog/flows_local', '{replica}')"))
        #expect(ClickHouseSchema(ttlDays: 30).statements[1].hasSuffix("TTL start + INTERVAL 30 DAY"))
        try client.execute("DROP DATABASE \(database)")
    }
}
