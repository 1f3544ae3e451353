import ClickHouse
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The servers `.ci/clickhouse-servers` started, from its environment variables.
enum ClickHouseServers {
    static func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    static let url = environment("FLOWLOG_CLICKHOUSE_URL")
    static let skipReason = Comment(rawValue: "ClickHouse tests skipped: "
        + (environment("FLOWLOG_CLICKHOUSE_SKIP") ?? "FLOWLOG_CLICKHOUSE_URL is not set (run the suite through .ci/clickhouse-servers)"))
}

/// `flowlog export clickhouse`, `flowlog clickhouse schema` and `flowlog query --clickhouse`
/// end to end against the real servers `.ci/clickhouse-servers` starts: the exporter and the
/// server killed with SIGKILL at random moments, a two-shard cluster, credentials.
@Suite("flowlog and ClickHouse", .serialized, .enabled(if: ClickHouseServers.url != nil, ClickHouseServers.skipReason))
struct ClickHouseCommandTests {
    static func environment(_ name: String) -> String? { ClickHouseServers.environment(name) }
    static let url = ClickHouseServers.url

    static func client(_ url: String) throws -> ClickHouseClient { ClickHouseClient(endpoint: try ClickHouseEndpoint(url: url)) }

    static func scalar(_ client: ClickHouseClient, _ sql: String) throws -> UInt64 {
        let text = String(decoding: try client.execute(sql + " FORMAT TSV"), as: UTF8.self)
        return UInt64(text.split(separator: "\n").first ?? "") ?? .max
    }

    static func database(_ purpose: String) -> String { "cli_\(purpose)_\(getpid())_\(UInt32.random(in: 0...UInt32.max))" }

    /// A store of `flows` synthetic flows in blocks of 500.
    static func store(_ name: String, flows: Int, seed: Int = 1) throws -> String {
        let dir = FlowlogRunner.temporaryPath(name)
        let r = try run([dir, "--flows", String(flows), "--seed", String(seed), "--block-records", "500"], executable: storegen)
        #expect(r.status == 0, "\(r.stderr)")
        return dir
    }

    /// The `storegen` test tool, built beside flowlog.
    static let storegen = URL(fileURLWithPath: FlowlogRunner.executable).deletingLastPathComponent().appendingPathComponent("storegen").path

    static func run(_ arguments: [String], executable: String = FlowlogRunner.executable, input: String? = nil) throws -> FlowlogRunner.Output {
        let out = FlowlogRunner.temporaryPath("out"), err = FlowlogRunner.temporaryPath("err")
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        let child = try Child(executable, arguments, stdout: out, stderr: err, stdin: input)
        let status = child.wait()
        return FlowlogRunner.Output(status: status, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                                    stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// Starts a long-running process; output goes to a file so it never blocks.
    static func launch(_ executable: String, _ arguments: [String], log: String) throws -> Child {
        try Child(executable, arguments, stdout: log, stderr: log)
    }

    static func sleep(milliseconds: Int) { usleep(UInt32(milliseconds) * 1000) }

    static func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            sleep(milliseconds: 50)
        }
        return condition()
    }

    @Test("schema output runs through clickhouse-client")
    func schemaThroughClickHouseClient() throws {
        guard let port = Self.environment("FLOWLOG_CLICKHOUSE_TCP_PORT") else { return }
        let db = Self.database("schema")
        let ddl = try Self.run(["clickhouse", "schema", "--database", db])
        #expect(ddl.status == 0)
        let file = FlowlogRunner.temporaryPath("schema.sql")
        try ddl.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let applied = try Self.run(["--port", port, "--multiquery"], executable: "/usr/bin/clickhouse-client", input: file)
        #expect(applied.status == 0, "\(applied.stderr)")
        let client = try Self.client(Self.url!)
        #expect(try Self.scalar(client, "SELECT count() FROM system.tables WHERE database = '\(db)' AND name = 'flows'") == 1)
        #expect(try Self.scalar(client, "SELECT count() FROM system.tables WHERE database = '\(db)' AND name = 'audit_versions'") == 1)
        #expect(try Self.scalar(client, "SELECT count() FROM system.tables WHERE database = '\(db)' AND name = 'report_results'") == 1)
        let bad = try Self.run(["clickhouse", "schema", "--ttl", "0"])
        #expect(bad.status == 64)
        try client.execute("DROP DATABASE \(db)")
    }

    @Test("--audit exports the audit store's versions beside the flows, once")
    func auditVersionsBesideFlows() throws {
        let dir = try Self.store("audit-flows", flows: 3_000)
        let audit = FlowlogRunner.temporaryPath("audit")
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: audit)
        }
        let log = FlowlogRunner.packageRoot.appendingPathComponent("Tests/AuditTests/Fixtures/kube-audit.log").path
        let ingest = try Self.run(["audit", "ingest", log, "--audit", audit])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        // One stored line per version (AuditStoreFormat).
        let stored = try FileManager.default.contentsOfDirectory(atPath: audit).filter { $0.hasPrefix("versions-") }
            .map { try String(contentsOfFile: audit + "/" + $0, encoding: .utf8).split(separator: "\n").count }.reduce(0, +)
        #expect(stored > 0)
        let db = Self.database("audit")
        let client = try Self.client(Self.url!)
        for _ in 0..<2 {
            let r = try Self.run(["export", "clickhouse", "--data", dir, "--url", Self.url!, "--database", db, "--audit", audit])
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try Self.scalar(client, "SELECT count() FROM \(db).flows") == 3_000)
        let exported = try Self.scalar(client, "SELECT count() FROM \(db).audit_versions")
        #expect(exported == UInt64(stored))
        #expect(try Self.scalar(client, "SELECT uniqExact(sequence) FROM \(db).audit_versions") == UInt64(stored))
        try client.execute("DROP DATABASE \(db)")
    }

    @Test("archived compliance reports go to report_results beside the flows, once")
    func reportResultsBesideFlows() throws {
        let dir = try Self.store("report-flows", flows: 2_000)
        let work = FlowlogRunner.temporaryPath("report-export")
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: work)
        }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/reports", withIntermediateDirectories: true)
        try ReportArchiveCommandTests.spec(at: work + "/spec.yaml")
        let run = try Self.run(["report", "run", "--spec", work + "/spec.yaml", "--cluster", ReportArchiveCommandTests.root + "/samples/cluster",
                                "--data", dir, "--start", "2026-11-02T09:00:00Z", "--end", "2026-11-02T10:00:00Z", "--output", work + "/out"])
        try #require(run.status == 0, "\(run.stderr)")
        let id = String(run.stdout.prefix { $0 != ":" })
        try FileManager.default.moveItem(atPath: work + "/out", toPath: dir + "/reports/" + id)
        // The rows the report should give: itself, and each object of each array of objects
        // reached through objects from the top.
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/reports/\(id)/report.json")))
        func items(_ value: Any) -> Int {
            if let object = value as? [String: Any] { return object.values.reduce(0) { $0 + items($1) } }
            if let array = value as? [Any], !array.isEmpty, array.allSatisfy({ $0 is [String: Any] }) { return array.count }
            return 0
        }
        let expected = UInt64(1 + items(document))
        let db = Self.database("reports")
        let client = try Self.client(Self.url!)
        for _ in 0..<2 {
            let r = try Self.run(["export", "clickhouse", "--data", dir, "--url", Self.url!, "--database", db])
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try Self.scalar(client, "SELECT count() FROM \(db).flows") == 2_000)
        #expect(expected > 10)
        #expect(try Self.scalar(client, "SELECT count() FROM \(db).report_results WHERE report_id = '\(id)'") == expected)
        let summary = ((document as? [String: Any])?["summary"] as? [String: Any])?["calico"] as? [String: Any]
        let inScope = try #require(summary?["endpointsNumInScope"] as? Int)
        #expect(try Self.scalar(client, "SELECT toUInt64(values[indexOf(fields, 'summary.calico.endpointsNumInScope')]) FROM \(db).report_results"
            + " WHERE report_id = '\(id)' AND item = 'report'") == UInt64(inScope))
        #expect(try Self.scalar(client, "SELECT count() FROM \(db).report_results WHERE item = 'endpoints'") == UInt64(inScope))
        // --no-reports leaves them out.
        let other = Self.database("noreports")
        let r = try Self.run(["export", "clickhouse", "--data", dir, "--url", Self.url!, "--database", other, "--no-reports"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.scalar(client, "SELECT count() FROM system.tables WHERE database = '\(other)' AND name = 'report_results'") == 0)
        try client.execute("DROP DATABASE \(db)")
        try client.execute("DROP DATABASE \(other)")
    }

    @Test("kill -9 of the exporter at random points, many times: every flow exactly once")
    func exporterKilledAtRandom() throws {
        let dir = try Self.store("kill-exporter", flows: 40_000)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = Self.database("kill")
        let client = try Self.client(Self.url!)
        let arguments = ["export", "clickhouse", "--data", dir, "--url", Self.url!, "--database", db, "--batch-rows", "1500"]
        var kills = 0
        for round in 0..<15 {
            let log = FlowlogRunner.temporaryPath("exporter-\(round).log")
            defer { try? FileManager.default.removeItem(atPath: log) }
            let exporter = try Self.launch(FlowlogRunner.executable, arguments, log: log)
            Self.sleep(milliseconds: Int.random(in: 30...700))
            if exporter.isRunning {
                exporter.signal(SIGKILL)
                kills += 1
            }
            _ = exporter.wait()
        }
        let final = try Self.run(arguments)
        #expect(final.status == 0, "\(final.stderr)")
        #expect(kills >= 5, "the exporter should have been killed mid-run several times")
        #expect(try Self.scalar(client, "SELECT count() FROM \(db).flows") == 40_000)
        #expect(try Self.scalar(client, "SELECT uniqExact(store_id, segment, block, row) FROM \(db).flows") == 40_000)
        let local = try Self.run(["query", "--data", dir, "--group-by", "action,proto", "-o", "csv"])
        let remote = try Self.run(["query", "--clickhouse", Self.url!, "--database", db, "--group-by", "action,proto", "-o", "csv"])
        #expect(local.status == 0 && remote.status == 0 && local.stdout == remote.stdout, "\(remote.stderr)")
        try client.execute("DROP DATABASE \(db)")
    }

    @Test("kill -9 of the server while a following exporter runs: it catches up, every flow exactly once")
    func serverKilledAtRandom() throws {
        guard let server = Self.environment("FLOWLOG_CLICKHOUSE_SERVER"), let config = Self.environment("FLOWLOG_CLICKHOUSE_SPARE_CONFIG"),
              let url = Self.environment("FLOWLOG_CLICKHOUSE_SPARE_URL") else {
            Issue.record("FLOWLOG_CLICKHOUSE_SERVER, _SPARE_CONFIG and _SPARE_URL must be set by .ci/clickhouse-servers")
            return
        }
        let client = try Self.client(url)
        func startServer() throws -> Child {
            let p = try Self.launch(server, ["--config-file=\(config)"], log: FlowlogRunner.temporaryPath("spare-server.log"))
            #expect(Self.waitUntil(seconds: 30) { (try? client.execute("SELECT 1")) != nil }, "the spare server did not start")
            return p
        }
        var serverProcess = try startServer()
        defer {
            serverProcess.signal(SIGTERM)
            _ = serverProcess.wait()
        }
        let dir = try Self.store("kill-server", flows: 30_000)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = Self.database("server")
        let log = FlowlogRunner.temporaryPath("follow.log")
        defer { try? FileManager.default.removeItem(atPath: log) }
        let exporter = try Self.launch(FlowlogRunner.executable,
                                       ["export", "clickhouse", "--data", dir, "--url", url, "--database", db, "--batch-rows", "1000",
                                        "--follow", "--poll-interval", "0.2"], log: log)
        for _ in 0..<4 {
            Self.sleep(milliseconds: Int.random(in: 100...900))
            serverProcess.signal(SIGKILL)
            _ = serverProcess.wait()
            Self.sleep(milliseconds: Int.random(in: 200...1500))  // the store keeps working; the exporter retries
            #expect(exporter.isRunning)
            serverProcess = try startServer()
        }
        let caughtUp = Self.waitUntil(seconds: 120) { (try? Self.scalar(client, "SELECT count() FROM \(db).flows")) == 30_000 }
        exporter.signal(SIGTERM)
        let exitStatus = exporter.wait()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(caughtUp, "\(output.suffix(2000))")
        #expect(exitStatus == 0, "\(output.suffix(2000))")
        #expect(output.contains("retrying"), "the exporter should have met the server down")
        #expect(try Self.scalar(client, "SELECT uniqExact(store_id, segment, block, row) FROM \(db).flows") == 30_000)
        #expect(try Self.scalar(client, "SELECT count() FROM \(db).flows") == 30_000)
        try client.execute("DROP DATABASE \(db)")
    }

    @Test("two shards: two stores exported to different shards, one query returns the union")
    func twoShardCluster() throws {
        guard let url2 = Self.environment("FLOWLOG_CLICKHOUSE_SHARD2_URL"), let cluster = Self.environment("FLOWLOG_CLICKHOUSE_CLUSTER") else {
            Issue.record("FLOWLOG_CLICKHOUSE_SHARD2_URL and _CLUSTER must be set by .ci/clickhouse-servers")
            return
        }
        let url1 = Self.url!
        let db = Self.database("cluster")
        let ddl = try Self.run(["clickhouse", "schema", "--cluster", cluster, "--no-on-cluster", "--database", db])
        #expect(ddl.status == 0 && ddl.stdout.contains("ENGINE = Distributed"))
        for url in [url1, url2] {
            let client = try Self.client(url)
            for statement in ddl.stdout.components(separatedBy: ";\n") where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                try client.execute(statement)
            }
        }
        let store1 = try Self.store("shard1", flows: 12_000, seed: 5)
        let store2 = try Self.store("shard2", flows: 9_000, seed: 6)
        defer {
            try? FileManager.default.removeItem(atPath: store1)
            try? FileManager.default.removeItem(atPath: store2)
        }
        for (store, url) in [(store1, url1), (store2, url2)] {
            let r = try Self.run(["export", "clickhouse", "--data", store, "--url", url, "--database", db, "--table", "flows_local", "--no-create"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let c1 = try Self.client(url1), c2 = try Self.client(url2)
        #expect(try Self.scalar(c1, "SELECT count() FROM \(db).flows_local") == 12_000)
        #expect(try Self.scalar(c2, "SELECT count() FROM \(db).flows_local") == 9_000)

        let grouping = ["--group-by", "src.namespace,action", "-o", "csv"]
        let union = try Self.run(["query", "--clickhouse", url1, "--database", db] + grouping)
        #expect(union.status == 0, "\(union.stderr)")
        var expected: [String: [UInt64]] = [:]
        for store in [store1, store2] {
            let local = try Self.run(["query", "--data", store] + grouping)
            for line in local.stdout.split(separator: "\n").dropFirst() {
                let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                let key = cells.dropLast(3).joined(separator: ",")
                let totals = cells.suffix(3).map { UInt64($0)! }
                expected[key] = zip(expected[key] ?? [0, 0, 0], totals).map { $0 + $1 }
            }
        }
        var actual: [String: [UInt64]] = [:]
        for line in union.stdout.split(separator: "\n").dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            actual[cells.dropLast(3).joined(separator: ",")] = cells.suffix(3).map { UInt64($0)! }
        }
        #expect(!actual.isEmpty && actual == expected)
        #expect(actual.values.reduce(0) { $0 + $1[0] } == 21_000)

        let rows = try Self.run(["query", "--clickhouse", url1, "--database", db, "--order", "stored", "-o", "ndjson"])
        #expect(rows.stdout.split(separator: "\n").count == 21_000)
        let bad = try Self.run(["query", "--clickhouse", url1, "--database", db, "dst.port >"])
        #expect(bad.status == 2)
        for c in [c1, c2] { try c.execute("DROP DATABASE \(db)") }
    }

    @Test("credentials from a password file; a wrong password fails at once with status 1")
    func credentials() throws {
        guard let writer = Self.environment("FLOWLOG_CLICKHOUSE_WRITER") else { return }
        let parts = writer.split(separator: ":", maxSplits: 1).map(String.init)
        let dir = try Self.store("auth", flows: 2_000)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = FlowlogRunner.temporaryPath("password"), wrong = FlowlogRunner.temporaryPath("wrong")
        try (parts[1] + "\n").write(toFile: good, atomically: true, encoding: .utf8)
        try "not-it\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: good)
            try? FileManager.default.removeItem(atPath: wrong)
        }
        let db = Self.database("auth")
        let denied = try Self.run(["export", "clickhouse", "--data", dir, "--url", Self.url!, "--database", db,
                                            "--user", parts[0], "--password-file", wrong, "--checkpoint", dir + "/wrong.checkpoint"])
        #expect(denied.status == 1 && denied.stderr.contains("ClickHouse"), "\(denied.stderr)")
        let r = try Self.run(["export", "clickhouse", "--data", dir, "--url", Self.url!, "--database", db,
                                       "--user", parts[0], "--password-file", good])
        #expect(r.status == 0, "\(r.stderr)")
        let q = try Self.run(["query", "--clickhouse", Self.url!, "--database", db, "--user", parts[0], "--password-file", good,
                                       "--group-by", "proto", "-o", "csv"])
        #expect(q.status == 0 && q.stdout.hasPrefix("proto,flows"), "\(q.stderr)")
        try Self.client(Self.url!).execute("DROP DATABASE \(db)")
    }
}

/// A child process started with posix_spawn and reaped by its own pid. (Foundation's `Process`
/// was seen to miss a child's exit while another child it started was still running.)
final class Child {
    let pid: pid_t
    private var status: Int32?

    init(_ executable: String, _ arguments: [String], stdout: String, stderr: String, stdin: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if stderr == stdout {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        posix_spawn_file_actions_addopen(&actions, 0, stdin ?? "/dev/null", O_RDONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let env = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            env.forEach { free($0) }
        }
        // The test runner blocks signals; a child would inherit that and ignore SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, env)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
        self.pid = pid
    }

    var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid {
            status = Self.decode(raw)
            return false
        }
        return true
    }

    func signal(_ number: Int32) {
        if status == nil { kill(pid, number) }
    }

    /// The exit status, or 128 + the signal that ended it.
    func wait() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        status = Self.decode(raw)
        return status!
    }

    private static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7F
        return signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
    }
}
