import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The command line's contracts: one error prefix, the exit-status scheme, usage on errors,
/// suggestions for typos, the same duration forms everywhere, replay's refusal to add to a
/// store, the query table, and messages in the user's terms.
@Suite("flowlog command line")
struct CommandLineTests {
    static let root = FlowlogRunner.packageRoot.path
    static let demo = root + "/samples/demo.pcap"
    static let cluster = root + "/samples/cluster"

    /// The demo replayed once into a fresh store, shared by the tests that only read it.
    static let demoStore: String = {
        let data = FlowlogRunner.temporaryPath("cli-demo")
        _ = try? FlowlogRunner.run(["replay", demo, "--cluster", cluster, "--data", data])
        return data
    }()

    // MARK: - Exit status and messages

    @Test func versionAndHelp() throws {
        let version = try FlowlogRunner.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("flowlog "))
        let help = try FlowlogRunner.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("Exit status: 0 success; 1 the command failed"))
        #expect(help.stdout.contains("64 a usage"))
        #expect(try FlowlogRunner.run(["help", "query"]).status == 0)
    }

    @Test(arguments: [
        (["help", "nosuch"], "'nosuch' is not a flowlog command"),
        (["qurey"], "did you mean 'query'?"),
        (["store", "inof", "/tmp"], "did you mean 'info'?"),
        (["policy", "explian"], "did you mean 'explain'?"),
    ])
    func unknownCommandsAreUsageErrors(arguments: [String], expected: String) throws {
        let r = try FlowlogRunner.run(arguments)
        #expect(r.status == 64)
        #expect(r.stderr.hasPrefix("flowlog: error: "))
        #expect(r.stderr.contains(expected), "\(r.stderr)")
        #expect(r.stderr.contains("Usage: flowlog"))
    }

    /// Bad values are answered precisely, with the subcommand's usage, exit status 64.
    @Test(arguments: [
        (["query", "--data", "/tmp", "--top", "-1"], "--top must be at least 1, not -1", "flowlog query"),
        (["query", "--data", "/tmp", "--limit", "ten"], "--limit takes a whole number, not 'ten'", "flowlog query"),
        (["query", "--data", "/tmp", "--threads", "999"], "--threads must be from 1 to 256, not 999", "flowlog query"),
        (["query", "--data", "/tmp", "--order", "bites"], "did you mean 'bytes'?", "flowlog query"),
        (["query", "--data", "/tmp", "-o", "csvv"], "did you mean 'csv'?", "flowlog query"),
        (["query", "--data", "/tmp", "--fields", "source_ip,dst_prot"], "did you mean", "flowlog query"),
        (["query", "--data", "/tmp", "--since", "yesterday"], "--since", "flowlog query"),
        (["query", "--data", "/tmp", "--group-by", "dst.port", "--fields", "bytes"], "with --group-by the columns are its keys", "flowlog query"),
        (["query", "--data", "/tmp", "--order", "flows"], "'flows' ranks groups", "flowlog query"),
        (["replay", demo, "--idle-timeout", "soon"], "--idle-timeout", "flowlog replay"),
        (["replay", demo, "--compression-level", "-3"], "--compression-level must be 0 (LZ4 fast) or 3…12 (LZ4-HC), not -3", "flowlog replay"),
        (["agent", "--interface", "lo", "--data", "/tmp/x", "--segment-age", "1 hour"], "--segment-age", "flowlog agent"),
        (["agent", "--data", "/tmp/x"], "no interface to capture on", "flowlog agent"),
        (["policy", "explain", "--cluster", cluster, "--src", "10.0.0.1", "--dst", "10.0.0.2", "--proto", "tcp", "--dst-port", "70000"],
         "--dst-port must be from 0 to 65535, not 70000", "flowlog policy explain"),
        (["policy", "explain", "--cluster", cluster, "--src", "10.0.0.1", "--dst", "10.0.0.2", "--proto", "tcp", "--src-port", "-1"],
         "--src-port must be from 0 to 65535, not -1", "flowlog policy explain"),
    ])
    func badValuesAreUsageErrors(arguments: [String], expected: String, usage: String) throws {
        let r = try FlowlogRunner.run(arguments)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("flowlog: error: "), "\(r.stderr)")
        #expect(r.stderr.contains(expected), "\(r.stderr)")
        #expect(r.stderr.contains("Usage: \(usage)"), "\(r.stderr)")
    }

    @Test func badFilterIsBadInputWithACaret() throws {
        let r = try FlowlogRunner.run(["query", "--data", Self.demoStore, "dst.nmespace shop"])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("flowlog: error: column 1, filter: unknown field 'dst.nmespace'; did you mean 'dst.namespace'?"))
        #expect(r.stderr.contains("\n  dst.nmespace shop\n  ^\n"))
    }

    @Test func mistypedFilterValuesGetSuggestions() throws {
        let r = try FlowlogRunner.run(["query", "--data", Self.demoStore, "proto tpc and action dney"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("unknown protocol 'tpc'; did you mean 'tcp'?"), "\(r.stderr)")
        let action = try FlowlogRunner.run(["query", "--data", Self.demoStore, "action dney"])
        #expect(action.stderr.contains("unknown action 'dney'; did you mean 'deny'?"), "\(action.stderr)")
    }

    @Test func missingStoreIsAFailure() throws {
        let r = try FlowlogRunner.run(["query", "--data", FlowlogRunner.temporaryPath("none")])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("flowlog: error: ") && r.stderr.contains("no such store directory"))
    }

    @Test func policyCheckOnAMissingPathPrintsNoSummary() throws {
        let missing = FlowlogRunner.temporaryPath("manifests")
        let r = try FlowlogRunner.run(["policy", "check", "--cluster", missing])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("flowlog: error: \(missing): no such file or directory"))
        let good = try FlowlogRunner.run(["policy", "check", "--cluster", Self.cluster])
        #expect(good.status == 0)
        #expect(!good.stdout.contains(" 1 rules"))
        #expect(good.stdout.contains(" 1 rule ") || good.stdout.contains(" 1 rule\n"))
    }

    // MARK: - Durations

    /// `30s`, `5m`, `1h`, `7d` and plain seconds mean the same in every duration option.
    @Test func durationFormsAgree() throws {
        func flows(_ idle: String) throws -> Int {
            let r = try FlowlogRunner.run(["replay", "--summary-format", "json", "--idle-timeout", idle, "--active-timeout", "0",
                                           Self.demo])
            try #require(r.status == 0, "\(idle): \(r.stderr)")
            return try #require(FlowlogRunner.json(r.stdout)["flows"] as? Int)
        }
        #expect(try flows("90") == flows("90s"))
        #expect(try flows("1.5m") == flows("90s"))
        #expect(try flows("1h") == flows("3600"))
        #expect(try flows("1") == flows("1000ms"))
        #expect(try flows("1") != flows("1h"))
        let window = try FlowlogRunner.run(["query", "--data", Self.demoStore, "--since", "3650d", "-o", "csv", "--fields", "start_time"])
        let windowSeconds = try FlowlogRunner.run(["query", "--data", Self.demoStore, "--since", String(3650 * 86_400), "-o", "csv",
                                                   "--fields", "start_time"])
        #expect(window.status == 0 && window.stdout == windowSeconds.stdout)
        #expect(window.stdout.split(separator: "\n").count == 241)
    }

    // MARK: - Replay into a store that holds flows

    @Test func replayRefusesToAddToAStoreUnlessAppending() throws {
        let data = FlowlogRunner.temporaryPath("append")
        defer { try? FileManager.default.removeItem(atPath: data) }
        #expect(try FlowlogRunner.run(["replay", Self.demo, "--data", data]).status == 0)
        let again = try FlowlogRunner.run(["replay", Self.demo, "--data", data])
        #expect(again.status == 64)
        #expect(again.stdout.isEmpty)
        #expect(again.stderr.contains("already holds flows") && again.stderr.contains("--append"))
        let count = { try FlowlogRunner.run(["query", "--data", data, "-o", "csv", "--fields", "bytes"]).stdout
            .split(separator: "\n").count - 1 }
        #expect(try count() == 240)
        #expect(try FlowlogRunner.run(["replay", Self.demo, "--data", data, "--append"]).status == 0)
        #expect(try count() == 480)
    }

    @Test func roundedRingCapacityIsMentioned() throws {
        let r = try FlowlogRunner.run(["replay", Self.demo, "--ring-capacity", "1000"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("--ring-capacity 1000 rounded up to 1024"))
        #expect(r.stdout.contains("capacity 1024"))
    }

    /// What replay says it wrote is what `store info` finds.
    @Test func replayBytesWrittenMatchStoreInfo() throws {
        let data = FlowlogRunner.temporaryPath("bytes")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let replay = try FlowlogRunner.run(["replay", Self.demo, "--data", data, "--summary-format", "json"])
        let written = try #require((FlowlogRunner.json(replay.stdout)["store"] as? [String: Any])?["bytes_written"] as? Int)
        let info = try FlowlogRunner.run(["store", "info", data])
        #expect(info.stdout.contains("240 flows, \(written) bytes"), "\(info.stdout)")
    }

    // MARK: - The first query's table

    @Test func defaultTableFitsAndNamesBothEnds() throws {
        let r = try FlowlogRunner.run(["query", "--data", Self.demoStore, "action deny", "-o", "table"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 37)
        #expect(lines.allSatisfy { $0.count <= 120 })
        #expect(lines[0].split(separator: " ") == ["START", "SOURCE", "DESTINATION", "PORT", "ACTION", "PACKETS", "BYTES"])
        // An address where there is no pod, never a bare "-".
        #expect(lines.dropFirst().allSatisfy { !$0.contains(" - ") })
        #expect(r.stdout.contains("198.18.0.5  ") || r.stdout.contains("198.18."))
        // Oldest first.
        let starts = lines.dropFirst().map { String($0.prefix(20)) }
        #expect(starts == starts.sorted())
        let wide = try FlowlogRunner.run(["query", "--data", Self.demoStore, "action deny", "-o", "wide"])
        #expect(wide.stdout.hasPrefix("START") && wide.stdout.contains("SOURCE_IP") && wide.stdout.contains("PENDING_ACTION"))
    }

    /// Every format gives the same rows in the same (time) order.
    @Test func everyFormatIsInTimeOrder() throws {
        let csv = try FlowlogRunner.run(["query", "--data", Self.demoStore, "-o", "csv", "--fields", "start_time,source_ip,source_port"])
        let rows = csv.stdout.split(separator: "\n").dropFirst().map(String.init)
        #expect(rows.count == 240)
        #expect(rows.map { $0.prefix(30) } == rows.map { $0.prefix(30) }.sorted())
        let nd = try FlowlogRunner.run(["query", "--data", Self.demoStore, "-o", "ndjson", "--fields", "start_time,source_ip,source_port"])
        let ndRows = try nd.stdout.split(separator: "\n").map { line -> String in
            let o = try FlowlogRunner.json(String(line))
            let port = o["source_port"] is NSNull ? "-" : "\(o["source_port"]!)"
            return "\(o["start_time"]!),\(o["source_ip"]!),\(port)"
        }
        #expect(ndRows == rows)
    }

    // MARK: - libpcap's words in the user's terms

    @Test func emptyCaptureSaysSo() throws {
        let path = FlowlogRunner.temporaryPath("empty.pcap")
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try FlowlogRunner.run(["replay", path])
        #expect(r.status == 2)
        #expect(r.stderr == "flowlog: error: \(path): empty file (0 bytes), not a capture\n")
    }

    /// An unknown interface is named as such with the interfaces there are, and the agent leaves
    /// no data directory behind.
    @Test func agentOnAnUnknownInterfaceLeavesNothing() throws {
        let data = FlowlogRunner.temporaryPath("agent-data")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let r = try FlowlogRunner.run(["agent", "--interface", "nosuch0", "--data", data, "--metrics", "off"])
        #expect(r.status != 0)
        #expect(!FileManager.default.fileExists(atPath: data))
        if geteuid() == 0 {
            #expect(r.stderr.contains("no such interface"), "\(r.stderr)")
            #expect(r.stderr.contains("interfaces here: ") && r.stderr.contains("lo"), "\(r.stderr)")
            #expect(!r.stderr.contains("No such device exists: No such device exists"))
        }
    }

    @Test func agentHelpShowsDefaults() throws {
        let r = try FlowlogRunner.run(["agent", "--help"])
        #expect(r.status == 0)
        for text in ["default: 1m", "default: 5m", "default: 1h", "default: 7d", "default: 65536", "default: 127.0.0.1:9464"] {
            #expect(r.stdout.replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression).contains(text), "\(text)")
        }
    }
}
