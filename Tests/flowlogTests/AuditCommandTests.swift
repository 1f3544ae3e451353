import FlowCore
import FlowTestSupport
import Foundation
import Testing

/// `flowlog audit …` and `policy explain --audit` end to end on the kube-apiserver fixture log.
@Suite("audit commands", .serialized)
struct AuditCommandTests {
    static let log = FlowlogRunner.packageRoot.appendingPathComponent("Tests/AuditTests/Fixtures/kube-audit.log").path

    static func ingested() throws -> String {
        let directory = FlowlogRunner.temporaryPath("audit")
        let result = try FlowlogRunner.run(["audit", "ingest", log, "--audit", directory, "-o", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        return directory
    }

    @Test("ingest reports counts and the bad line with file:line:column; a second ingest adds nothing")
    func ingest() throws {
        let directory = FlowlogRunner.temporaryPath("audit")
        let first = try FlowlogRunner.run(["audit", "ingest", Self.log, "--audit", directory, "-o", "json"])
        #expect(first.status == 0)
        let report = try FlowlogRunner.json(first.stdout)
        #expect(report["versions"] as? Int == 18)
        #expect(report["events"] as? Int == 28)
        #expect(first.stderr.contains("kube-audit.log:29:150: truncated last line"))
        let second = try FlowlogRunner.run(["audit", "ingest", Self.log, "--audit", directory, "-o", "json"])
        #expect(try FlowlogRunner.json(second.stdout)["versions"] as? Int == 0)
    }

    @Test("query filters like Linseed, in every output format")
    func query() throws {
        let directory = try Self.ingested()
        let table = try FlowlogRunner.run(["audit", "query", "--audit", directory, "--kind", "networkpolicies.projectcalico.org", "--verb", "patch"])
        #expect(table.stdout == """
            TIME                  OBJECT                                                  VERSION  VERB   AUTHOR           CODE  SUMMARY
            2026-11-23T07:30:00Z  networkpolicy.projectcalico.org/shop/default.allow-web  2        patch  bob@example.com  200   rule 2 of egress: destination.ports 443 → 443,8443

            """)
        let nodes = try FlowlogRunner.run(["audit", "query", "--audit", directory, "--author", "system:node:*", "-o", "csv"])
        let rows = nodes.stdout.split(separator: "\n")
        #expect(rows.count == 3)
        #expect(rows[0].hasPrefix("sequence,time,object,kind,api_group,namespace,name,version,verb"))
        #expect(rows[1].contains("pod/shop/frontend-1") && rows[2].contains("pod/db/postgres-0"))
        let ndjson = try FlowlogRunner.run(["audit", "query", "--audit", directory, "--namespace", "db", "--since", "2026-11-23T07:04:00Z",
                                            "--until", "2026-11-23T08:00:00Z", "-o", "ndjson"])
        let lines = ndjson.stdout.split(separator: "\n").map { try? FlowlogRunner.json(String($0)) }
        #expect(lines.compactMap { $0?["object_ref"] as? String } == ["pod/db/postgres-0", "pod/db/postgres-0", "service/db/postgres",
                                                                      "networkpolicy.networking.k8s.io/db/allow-shop"])
        let json = try FlowlogRunner.run(["audit", "query", "--audit", directory, "--response-code", "201", "--name", "default*", "-o", "json"])
        let array = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(array?.count == 4)
        let yaml = try FlowlogRunner.run(["audit", "query", "--audit", directory, "--kind", "gnp", "-o", "yaml"])
        #expect(yaml.stdout.hasPrefix("- sequence: 5\n  object_ref: globalnetworkpolicy.projectcalico.org/default.deny-all\n"))
        let bad = try FlowlogRunner.run(["audit", "query", "--audit", directory, "--kind", "configmap"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("'configmap' is not a kind"))
    }

    @Test("history and diff of one object, named as kubectl names it")
    func historyAndDiff() throws {
        let directory = try Self.ingested()
        let history = try FlowlogRunner.run(["audit", "history", "networkpolicies.networking.k8s.io/db/allow-shop", "--audit", directory])
        #expect(history.stdout == """
            VERSION  TIME                  VERB    AUTHOR             SUMMARY
            1        2026-11-23T07:03:00Z  create  carol@example.com  created
            2        2026-11-23T07:40:00Z  update  carol@example.com  rule 1 of ingress: ports.1: added {"protocol":"TCP","port":6432}

            """)
        let diff = try FlowlogRunner.run(["audit", "diff", "knp/db/allow-shop", "--audit", directory])
        #expect(diff.stdout.contains("""
             ports:
                 - protocol: TCP
                   port: 5432
            +    - protocol: TCP
            +      port: 6432
            """))
        #expect(diff.stdout.hasPrefix("--- networkpolicy.networking.k8s.io/db/allow-shop version 1 (create by carol@example.com"))
        let patch = try FlowlogRunner.run(["audit", "diff", "networkpolicy/shop/default.allow-web", "--from", "1", "--to", "2",
                                           "--audit", directory, "-o", "ndjson"])
        #expect(patch.stdout.contains(#"{"op":"add","path":"/spec/egress/1/destination/ports/1","value":8443}"#))
        let missing = try FlowlogRunner.run(["audit", "diff", "gnp/default.deny-all", "--audit", directory])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("only one version"))
    }

    @Test("state at an instant as manifests that --cluster loads")
    func state() throws {
        let directory = try Self.ingested()
        let out = FlowlogRunner.temporaryPath("state")
        let written = try FlowlogRunner.run(["audit", "state", "--audit", directory, "--at", "2026-11-23T08:30:00Z", "-o", out])
        #expect(written.stdout.hasPrefix("6 object(s) at 2026-11-23T08:30:00.000000000Z written to"))
        let check = try FlowlogRunner.run(["policy", "check", "--cluster", out])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("namespaces: 1"))
        let single = out + ".yaml"
        _ = try FlowlogRunner.run(["audit", "state", "--audit", directory, "--at", "2026-11-23T07:35:00Z", "-o", single])
        #expect(try FlowlogRunner.run(["policy", "check", "--cluster", single]).stdout.contains("workload endpoints: 2 (2 with an IP)"))
        let table = try FlowlogRunner.run(["audit", "state", "--audit", directory, "--at", "2026-11-23T07:03:30Z"])
        #expect(table.stdout.split(separator: "\n").count == 8)
    }

    @Test("policy explain --audit --at: denied before the 07:30 change, allowed after, and names the change")
    func explainAt() throws {
        let directory = try Self.ingested()
        let arguments = ["policy", "explain", "--audit", directory, "--src", "shop/frontend-1", "--dst", "198.51.100.7",
                         "--proto", "tcp", "--dst-port", "8443"]
        let before = try FlowlogRunner.run(arguments + ["--at", "2026-11-23T07:20:00Z"])
        #expect(before.stdout.contains("action: deny"))
        #expect(before.stdout.contains("2026-11-23T07:30:00.154321000Z: action became allow, after:\n  networkpolicy.projectcalico.org/shop/default.allow-web version 2 (patch by bob@example.com): rule 2 of egress: destination.ports 443 → 443,8443"))
        let after = try FlowlogRunner.run(arguments + ["--at", "2026-11-23T07:35:00Z", "--format", "json"])
        let json = try FlowlogRunner.json(after.stdout)
        #expect(json["verdict"] as? String == "allow")
        #expect((json["verdict_changes"] as? [Any])?.isEmpty == true)
        let gone = try FlowlogRunner.run(arguments + ["--at", "2026-11-23T08:30:00Z"])
        #expect(gone.status == 64)
        #expect(gone.stderr.contains("no pod shop/frontend-1"))
    }

    @Test("policy explain --audit --flow explains stored flows at their own time")
    func explainFlows() throws {
        let directory = try Self.ingested()
        let flows = FlowlogRunner.temporaryPath("flows.ndjson")
        try """
            {"start_time":"2026-11-23T07:20:00Z","source_ip":"10.244.1.5","source_port":40000,"dest_ip":"198.51.100.7","dest_port":8443,"proto":"tcp"}
            {"start_time":"2026-11-23T07:45:00Z","source_ip":"10.244.1.5","source_port":40001,"dest_ip":"198.51.100.7","dest_port":8443,"proto":"tcp"}

            """.write(toFile: flows, atomically: true, encoding: .utf8)
        let result = try FlowlogRunner.run(["policy", "explain", "--audit", directory, "--flow", flows])
        #expect(result.status == 0, "\(result.stderr)")
        let blocks = result.stdout.components(separatedBy: "=== flow ").dropFirst().map { $0 }
        #expect(blocks.count == 2)
        #expect(blocks[0].hasPrefix("\(flows):1: 10.244.1.5:40000 → 198.51.100.7:8443 tcp at 2026-11-23T07:20:00"))
        #expect(blocks[0].contains("action: deny") && !blocks[0].contains("action: allow\n"))
        #expect(blocks[1].contains("action: allow") && !blocks[1].contains("action: deny"))
    }

    /// The issue's question asked of a real store: two connections of shop/frontend-1 to
    /// 198.51.100.7:8443 captured at 07:20 and 07:45, replayed, queried, and piped into
    /// `policy explain --flow -`: each is decided against the cluster of its own time.
    @Test("flowlog query -o ndjson | policy explain --audit --flow -: a replayed store's flows, each at its own time")
    func explainStoredFlows() throws {
        let directory = try Self.ingested()
        typealias B = PacketBuilder
        var writer = PcapWriter()
        for (port, seconds) in [(UInt16(40_000), UInt64(1_795_418_400)), (40_001, 1_795_419_900)] {  // 07:20:00Z, 07:45:00Z
            let syn = B.ethernetIP(source: IPAddress("10.244.1.5")!, destination: IPAddress("198.51.100.7")!, protocol: .tcp,
                                   transport: B.tcp(sourcePort: port, destinationPort: 8443, flags: .syn))
            writer.append(syn, at: Timestamp(seconds: seconds, nanoseconds: 0))
        }
        let capture = FlowlogRunner.temporaryPath("explain.pcap"), data = FlowlogRunner.temporaryPath("explain-data")
        try writer.write(to: capture)
        defer { try? FileManager.default.removeItem(atPath: capture); try? FileManager.default.removeItem(atPath: data) }
        let replay = try FlowlogRunner.run(["replay", capture, "--data", data])
        #expect(replay.status == 0, "\(replay.stderr)")
        let query = try FlowlogRunner.run(["query", "--data", data, "dst.port 8443", "-o", "ndjson"])
        #expect(query.status == 0, "\(query.stderr)")
        #expect(query.stdout.split(separator: "\n").count == 2)
        let flows = FlowlogRunner.temporaryPath("explain-flows.ndjson")
        try query.stdout.write(toFile: flows, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: flows) }
        let result = try FlowlogRunner.run(["policy", "explain", "--audit", directory, "--flow", "-"], standardInput: flows)
        #expect(result.status == 0, "\(result.stderr)")
        let blocks = result.stdout.components(separatedBy: "=== flow ").dropFirst().map { $0 }
        #expect(blocks.count == 2)
        #expect(blocks[0].hasPrefix("<stdin>:1: 10.244.1.5:40000 → 198.51.100.7:8443 tcp at 2026-11-23T07:20:00"), "\(result.stdout)")
        #expect(blocks[0].contains("action: deny"))
        #expect(blocks[0].contains("action became allow, after:\n  networkpolicy.projectcalico.org/shop/default.allow-web version 2 (patch by bob@example.com)"))
        #expect(blocks[1].hasPrefix("<stdin>:2: 10.244.1.5:40001 → 198.51.100.7:8443 tcp at 2026-11-23T07:45:00"))
        #expect(blocks[1].contains("action: allow") && !blocks[1].contains("action: deny"))
    }
}
