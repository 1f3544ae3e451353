import Foundation
import Testing

/// keys, replay/store generate with --signing-key, verify and bundle end to end, and crashes.
@Suite("evidence commands", .serialized)
struct EvidenceCommandTests {
    static func keys() throws -> (directory: String, key: String, pub: String) {
        let directory = FlowlogRunner.temporaryPath("keys")
        let result = try FlowlogRunner.run(["keys", "generate", directory])
        #expect(result.status == 0)
        #expect(result.stdout == "private key: \(directory)/signing.key\npublic key:  \(directory)/signing.pub\n")
        return (directory, directory + "/signing.key", directory + "/signing.pub")
    }

    @Test("replay --signing-key --segment-size: every segment signed; verify passes, then names a changed file")
    func replaySigned() throws {
        let keys = try Self.keys()
        let data = FlowlogRunner.temporaryPath("data")
        for capture in ["zeek-wikipedia.pcap", "ndpi-gnutella.pcap"] {
            let replay = try FlowlogRunner.run(["replay", FlowlogRunner.fixture(capture), "--data", data, "--append", "--segment-size", "64KiB",
                                                "--signing-key", keys.key])
            #expect(replay.status == 0, "\(replay.stderr)")
        }
        let verify = try FlowlogRunner.run(["verify", "--data", data, "--public-key", keys.pub])
        #expect(verify.status == 0, "\(verify.stdout)")
        // The chain's first digest (the first replay's store opening) and one per seal.
        #expect(verify.stdout.contains("flows: ok: 3 digest(s), 2 file(s)"), "\(verify.stdout)")
        let segment = data + "/000000000002.seg"
        let handle = try #require(FileHandle(forWritingAtPath: segment))
        handle.seekToEndOfFile()
        handle.write(Data("x".utf8))
        try handle.close()
        let tampered = try FlowlogRunner.run(["verify", "--data", data, "--public-key", keys.pub])
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("flows: error: 000000000002.seg: extended"))
        let usage = try FlowlogRunner.run(["verify", "--data", data])
        #expect(usage.status == 64)
    }

    @Test("bundle of flows and audit; verify --bundle offline")
    func bundle() throws {
        let keys = try Self.keys()
        let data = FlowlogRunner.temporaryPath("data"), audit = FlowlogRunner.temporaryPath("audit")
        _ = try FlowlogRunner.run(["replay", FlowlogRunner.fixture("zeek-wikipedia.pcap"), "--data", data, "--signing-key", keys.key])
        let ingest = try FlowlogRunner.run(["audit", "ingest", AuditCommandTests.log, "--audit", audit, "--signing-key", keys.key])
        #expect(ingest.status == 0)
        let verify = try FlowlogRunner.run(["verify", "--data", data, "--audit", audit, "--public-key", keys.pub])
        #expect(verify.stdout.contains("audit: ok: 2 digest(s), 1 file(s)"), "\(verify.stdout)")
        let tar = FlowlogRunner.temporaryPath("bundle.tar")
        let bundle = try FlowlogRunner.run(["bundle", "--data", data, "--audit", audit, "--since", "2000-01-01T00:00:00Z",
                                            "--until", "2100-01-01T00:00:00Z", "-o", tar])
        #expect(bundle.status == 0, "\(bundle.stderr)")
        let offline = try FlowlogRunner.run(["verify", "--bundle", tar])
        #expect(offline.status == 0, "\(offline.stdout)")
        #expect(offline.stdout.contains("note: using the public key inside the bundle"))
        #expect(offline.stdout.contains("audit: ok: 2 digest(s), 1 file(s)"), "\(offline.stdout)")
        let listing = try FlowlogRunner.run(["verify", "--bundle", tar, "--public-key", keys.pub])
        #expect(listing.status == 0)
    }

    /// A long audit log: the fixture's kept events repeated with fresh audit IDs and rising resourceVersions.
    static func longAuditLog(copies: Int) throws -> String {
        let lines = try String(contentsOfFile: AuditCommandTests.log, encoding: .utf8).split(separator: "\n").dropLast()
        var out = ""
        for copy in 0..<copies {
            for (index, line) in lines.enumerated() {
                var text = String(line)
                if let range = text.range(of: #""auditID":""#) {
                    let end = text[range.upperBound...].firstIndex(of: "\"")!
                    text.replaceSubrange(range.upperBound..<end, with: "copy-\(copy)-\(index)")
                }
                text = text.replacingOccurrences(of: #""resourceVersion":"1"#, with: #""resourceVersion":"\#(copy + 1)"#)
                out += text + "\n"
            }
        }
        let path = FlowlogRunner.temporaryPath("long-audit.log")
        try out.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The `storegen` test tool, built beside flowlog (a dependency of this test target).
    static let storegen = URL(fileURLWithPath: FlowlogRunner.executable).deletingLastPathComponent().appendingPathComponent("storegen").path

    /// Runs a command and kills it (SIGKILL) `afterMilliseconds` after it has created `directory`,
    /// so that on a slow, loaded machine the kill still lands during the work, not before it.
    static func killed(_ arguments: [String], executable: String = FlowlogRunner.executable, directory: String,
                       afterMilliseconds: UInt32) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning && !FileManager.default.fileExists(atPath: directory) { usleep(5_000) }
        usleep(afterMilliseconds * 1000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    @Test("kill -9 during ingest loses nothing sealed; verify passes; ingesting again completes without duplicates")
    func killDuringIngest() throws {
        let keys = try Self.keys()
        let log = try Self.longAuditLog(copies: 400)
        let clean = FlowlogRunner.temporaryPath("audit-clean")
        let reference = try FlowlogRunner.json(try FlowlogRunner.run(["audit", "ingest", log, "--audit", clean, "-o", "json"]).stdout)
        let audit = FlowlogRunner.temporaryPath("audit")
        for delay: UInt32 in [150, 300, 500] {
            try Self.killed(["audit", "ingest", log, "--audit", audit, "--signing-key", keys.key], directory: audit, afterMilliseconds: delay)
            let verify = try FlowlogRunner.run(["verify", "--audit", audit, "--public-key", keys.pub])
            #expect(verify.status == 0, "\(verify.stdout)")
        }
        let finish = try FlowlogRunner.run(["audit", "ingest", log, "--audit", audit, "--signing-key", keys.key])
        #expect(finish.status == 0)
        let all = try FlowlogRunner.run(["audit", "query", "--audit", audit, "-o", "ndjson"]).stdout.split(separator: "\n").count
        let expected = try FlowlogRunner.run(["audit", "query", "--audit", clean, "-o", "ndjson"]).stdout.split(separator: "\n").count
        #expect(all == expected)
        #expect(expected == reference["versions"] as? Int)
        let verify = try FlowlogRunner.run(["verify", "--audit", audit, "--public-key", keys.pub])
        #expect(verify.status == 0)
        #expect(!verify.stdout.contains("unsigned:"))
    }

    @Test("kill -9 while segments are sealed and signed: verify passes after every kill, and nothing is left unsigned after a restart")
    func killDuringSealing() throws {
        let keys = try Self.keys()
        let data = FlowlogRunner.temporaryPath("data")
        let arguments = [data, "--flows", "0", "--block-records", "200", "--segment-bytes", "8192",
                         "--retention-bytes", "400000", "--signing-key", keys.key]
        for delay: UInt32 in [200, 350, 500, 650] {
            try Self.killed(arguments, executable: Self.storegen, directory: data, afterMilliseconds: delay)
            let verify = try FlowlogRunner.run(["verify", "--data", data, "--public-key", keys.pub])
            #expect(verify.status == 0, "\(verify.stdout)")
        }
        // The restart alone writes more than the retention limit (about 120 bytes a flow here), so
        // retirement is exercised however little the killed runs managed on a loaded machine.
        let restart = Process()
        restart.executableURL = URL(fileURLWithPath: Self.storegen)
        restart.arguments = [data, "--flows", "4000", "--block-records", "200", "--segment-bytes", "8192", "--retention-bytes", "400000",
                             "--signing-key", keys.key]
        restart.standardError = FileHandle.nullDevice
        try restart.run()
        restart.waitUntilExit()
        #expect(restart.terminationStatus == 0)
        let verify = try FlowlogRunner.run(["verify", "--data", data, "--public-key", keys.pub])
        #expect(verify.status == 0)
        #expect(!verify.stdout.contains("unsigned:"), "\(verify.stdout)")
        #expect(verify.stdout.contains(" retired"))
    }
}
