@testable import ClickHouse
import FlowCore
import Foundation
import Query
import SegmentStore
import Testing

/// A current ClickHouse release (chdb, in-process, behind `Fixtures/chdb-http.py`'s HTTP
/// interface), for what the 18.16 server cannot tell: that flowlog's DDL, INSERTs and
/// translated queries run on modern servers too and answer alike.
///
/// Needs a Python with chdb (`FLOWLOG_CHDB_PYTHON`, else `python3`); without it the suite
/// skips and says why, unless `FLOWLOG_REQUIRE_CHDB=1` (CI), which makes it a failure.
enum ModernServer {
    static let python = TestServer.environment("FLOWLOG_CHDB_PYTHON") ?? "python3"
    static let required = TestServer.environment("FLOWLOG_REQUIRE_CHDB") == "1"

    static let unavailableReason: String? = {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = [python, "-c", "import chdb"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        do { try probe.run() } catch { return "\(python) cannot be started: \(error)" }
        probe.waitUntilExit()
        return probe.terminationStatus == 0 ? nil
            : "\(python) cannot import chdb (python3 -m venv DIR && DIR/bin/pip install chdb; then FLOWLOG_CHDB_PYTHON=DIR/bin/python)"
    }()

    static var available: Bool { unavailableReason == nil }
    static var skipReason: Comment { Comment(rawValue: "modern-dialect tests skipped: \(unavailableReason ?? "")") }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/chdb-http.py").path

    /// A running shim: its URL, and the process to stop.
    final class Instance {
        let process = Process()
        /// The shim exits when this pipe closes, so it never outlives the tests.
        let lifeline = Pipe()
        let url: String

        init() throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [ModernServer.python, ModernServer.script]
            let out = Pipe()
            process.standardOutput = out
            process.standardInput = lifeline
            try process.run()
            // The first line is "port N".
            var line: [UInt8] = []
            while line.last != UInt8(ascii: "\n") {
                let byte = out.fileHandleForReading.readData(ofLength: 1)
                guard let b = byte.first else { break }
                line.append(b)
            }
            let text = String(decoding: line, as: UTF8.self)
            guard text.hasPrefix("port "), let port = Int(text.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                process.terminate()
                throw FlowlogError(.io, "chdb-http.py did not start (said '\(text)')")
            }
            url = "http://127.0.0.1:\(port)"
        }

        deinit {
            // chdb handles SIGTERM itself (as ClickHouse does) and keeps running: SIGKILL; the
            // shim holds nothing that must survive.
            try? lifeline.fileHandleForWriting.close()
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

@Suite struct ModernDialectRequirementTests {
    @Test func chdbIsThereWhenRequired() {
        if ModernServer.required {
            #expect(ModernServer.available, "FLOWLOG_REQUIRE_CHDB=1 but \(ModernServer.unavailableReason ?? "")")
        } else if let reason = ModernServer.unavailableReason {
            print("modern-dialect tests skipped: \(reason)")
        }
    }
}

@Suite(.enabled(if: ModernServer.available, ModernServer.skipReason), .serialized)
final class ModernDialectTests {
    let server: ModernServer.Instance
    let client: ClickHouseClient
    let store: String
    let flows: [AnnotatedFlow]

    init() throws {
        server = try ModernServer.Instance()
        client = ClickHouseClient(endpoint: try ClickHouseEndpoint(url: server.url))
        store = TestStore.temporaryDirectory("modern")
        flows = try TestStore.write(store, count: 3_000, seed: 5)
    }

    deinit { TestStore.remove(store) }

    func export(_ database: String, format: ClickHouseExporter.InsertFormat) throws {
        var options = ClickHouseExporter.Options(storeDirectory: store)
        options.database = database
        options.format = format
        options.batchRows = 1_000
        options.checkpointPath = store + "/exports/modern-\(database).checkpoint"
        let exporter = try ClickHouseExporter(options: options, client: client, metrics: ExportMetrics(), log: { _ in })
        defer { exporter.close() }
        try exporter.prepare()
        #expect(try exporter.exportAvailable().rows == UInt64(flows.count))
    }

    @Test func theSchemaRunsOnACurrentRelease() throws {
        let version = try client.version()
        #expect(!version.hasPrefix("18."), "expected a current release, got \(version)")
        for schema in [ClickHouseSchema(database: "modern_plain"), ClickHouseSchema(database: "modern_ttl", ttlDays: 30)] {
            for statement in schema.statements { try client.execute(statement) }
            for statement in schema.statements { try client.execute(statement) }  // idempotent
        }
        let tables = String(decoding: try client.execute("SELECT database, engine FROM system.tables WHERE database LIKE 'modern_%'"
            + " ORDER BY database FORMAT TSV"), as: UTF8.self)
        #expect(tables == "modern_plain\tMergeTree\nmodern_ttl\tMergeTree\n")
        let create = String(decoding: try client.execute("SHOW CREATE TABLE modern_ttl.flows FORMAT TSVRaw"), as: UTF8.self)
        #expect(create.contains("TTL start + toIntervalDay(30)"), "\(create)")
    }

    /// Native and RowBinary INSERTs fill a current server's table alike, and the translated
    /// queries answer there as the local store does.
    @Test func exportsAndQueriesAnswerAsLocally() throws {
        try export("modern_native", format: .native)
        try export("modern_rowbinary", format: .rowBinary)
        let all = "SELECT \(FlowColumn.list(FlowColumn.allCases)) FROM %@.flows ORDER BY \(ClickHouseQuery.storeOrder) FORMAT RowBinary"
        let native = try client.execute(all.replacingOccurrences(of: "%@", with: "modern_native"))
        let rowBinary = try client.execute(all.replacingOccurrences(of: "%@", with: "modern_rowbinary"))
        #expect(native.count > 100_000 && native == rowBinary)

        let cases: [(String, String?)] = [
            ("", nil), ("verdict deny", nil), ("dst.domain *.example.com or dst.domain api.example.com", nil),
            ("src.labels \"has(app)\" and not dst.port 53", nil), ("src.ip 10.0.0.0/8 and bytes > 1k", nil),
            ("", "src.namespace,dst.namespace"), ("", "dest_domains"), ("policy_action deny", "policies"),
        ]
        for (filter, groupBy) in cases {
            for top in [nil, 3] as [Int?] {
                var plan = QueryPlan(filter: try FilterProgram(parsing: filter), format: .csv,
                                     groupBy: try groupBy.map { try OutputField.list($0, option: "--group-by") } ?? [],
                                     top: top, order: top == nil ? nil : .bytes)
                plan.threads = 1
                var local = OutputBuffer(target: .memory), remote = OutputBuffer(target: .memory)
                _ = try QueryEngine.run(plan, directory: store, into: &local)
                _ = try ClickHouseQuery(client: client, database: "modern_native").run(plan, into: &remote)
                #expect(local.text == remote.text, "filter '\(filter)' group-by \(groupBy ?? "-") top \(top.map(String.init) ?? "-")")
                #expect(local.text.split(separator: "\n").count > 1, "filter '\(filter)' matches nothing")
            }
        }
    }
}
