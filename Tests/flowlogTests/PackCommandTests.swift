import FlowCore
import FlowTestSupport
import Foundation
import Testing

/// `flowlog pack list|show|render|check` end to end, including flows observed in breach.
@Suite struct PackCommandTests {
    static let cluster = ConfigPSSCommandTests.fixtures + "/packs/cluster.yaml"

    @Test func listAndShow() throws {
        let list = try FlowlogRunner.run(["pack", "list"])
        #expect(list.status == 0)
        #expect(list.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) } == ["cis", "hipaa", "pci-dss", "soc2"])
        let show = try FlowlogRunner.run(["pack", "show", "pci-dss"])
        #expect(show.status == 0)
        #expect(show.stdout.contains("tier pci-dss (order 100): pci-dss.cde-ingress, pci-dss.cde-egress"))
        #expect(show.stdout.contains("outside-to-cde: outside → scope TCP/8443: deny in tier pci-dss, verdict deny"))
        #expect(show.stdout.contains("  1.3.1  Inbound traffic to the CDE"))
        let unknown = try FlowlogRunner.run(["pack", "show", "iso27001"])
        #expect(unknown.status == 64 && unknown.stderr.contains("flowlog: error: no pack 'iso27001'; packs: cis, hipaa, pci-dss, soc2"))
    }

    /// Renders into a directory beside the cluster; `policy check` accepts it.
    static func rendered(_ pack: String) throws -> String {
        let dir = FlowlogRunner.temporaryPath("pack-\(pack)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: cluster, toPath: dir + "/cluster.yaml")
        let render = try FlowlogRunner.run(["pack", "render", pack, "--namespace", "payments", "cards"])
        #expect(render.status == 0, "\(render.stderr)")
        try render.stdout.write(toFile: dir + "/pack.yaml", atomically: true, encoding: .utf8)
        return dir
    }

    @Test(arguments: ["pci-dss", "hipaa", "soc2", "cis"])
    func renderedPacksPassPolicyCheck(pack: String) throws {
        let dir = try Self.rendered(pack)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let check = try FlowlogRunner.run(["policy", "check", "--cluster", dir])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(!check.stderr.contains("error"))
    }

    @Test func pciDenialsShowInPolicyExplain() throws {
        let dir = try Self.rendered("pci-dss")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let denied = try FlowlogRunner.run(["policy", "explain", "--cluster", dir, "--src", "shop/web-0", "--dst", "payments/api-0",
                                            "--proto", "tcp", "--dst-port", "443", "--format", "json"])
        #expect(denied.status == 0)
        #expect(denied.stdout.contains("pci-dss.cde-ingress"))
        #expect(denied.stdout.contains("\"deny\""))
    }

    @Test func checkAsTableJSONAndCSV() throws {
        let dir = try Self.rendered("pci-dss")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let table = try FlowlogRunner.run(["pack", "check", "pci-dss", "--cluster", dir])
        #expect(table.status == 0, "\(table.stdout)\(table.stderr)")
        #expect(table.stdout.contains("scope: cards, payments"))
        #expect(table.stdout.contains("PASS          1.3.1"))
        #expect(table.stdout.contains("5 requirements, 0 failing"))

        let json = try FlowlogRunner.run(["pack", "check", "pci-dss", "--cluster", dir, "-o", "json"])
        let report = try FlowlogRunner.json(json.stdout)
        let requirements = try #require(report["requirements"] as? [[String: Any]])
        #expect(requirements.map { $0["id"] as? String } == ["1.3.1", "1.3.2", "1.4.1", "2.2.1", "10.2.1"])
        #expect(requirements.allSatisfy { $0["status"] as? String == "pass" })

        let csv = try FlowlogRunner.run(["pack", "check", "pci-dss", "--cluster", dir, "-o", "csv"])
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first == "pack,requirement,title,requirementStatus,check,checkStatus,details")
        #expect(lines.contains { $0.hasPrefix("pci-dss,1.3.1,") && $0.contains("expectation outside-to-cde,pass,") })
    }

    /// Flows captured before the pack was applied (so allowed), checked against the pack: the
    /// one from a non-CDE namespace into the CDE is a breach, the one from a connected one is not.
    @Test func flowsObservedInBreachFailTheRequirement() throws {
        typealias B = PacketBuilder
        var writer = PcapWriter()
        let base = Timestamp(seconds: 1_763_884_800, nanoseconds: 0)
        func connect(_ src: String, _ dst: String, _ port: UInt16, at offset: UInt64) {
            let frame = B.ethernetIP(source: IPAddress(src)!, destination: IPAddress(dst)!, protocol: .tcp,
                                     transport: B.tcp(sourcePort: 50000, destinationPort: port, flags: .syn))
            writer.append(frame, at: Timestamp(seconds: base.seconds + offset, nanoseconds: 0))
        }
        connect("10.0.3.10", "10.0.2.10", 443, at: 0)   // shop/web-0 → payments/api-0: breach
        connect("10.0.4.10", "10.0.2.10", 8443, at: 1)  // fraud/scorer-0 (connected) → payments/api-0: fine
        connect("10.0.1.10", "10.0.2.10", 8443, at: 2)  // cards → payments: fine
        let capture = FlowlogRunner.temporaryPath("pci.pcap")
        let data = FlowlogRunner.temporaryPath("pci-data")
        try writer.write(to: capture)
        defer { try? FileManager.default.removeItem(atPath: capture); try? FileManager.default.removeItem(atPath: data) }
        let replay = try FlowlogRunner.run(["replay", capture, "--cluster", Self.cluster, "--data", data])
        #expect(replay.status == 0, "\(replay.stderr)")

        let dir = try Self.rendered("pci-dss")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try FlowlogRunner.run(["pack", "check", "pci-dss", "--cluster", dir, "--data", data, "-o", "json"])
        #expect(out.status == 1, "\(out.stderr)")
        let report = try FlowlogRunner.json(out.stdout)
        let requirements = try #require(report["requirements"] as? [[String: Any]])
        let r131 = try #require(requirements.first { $0["id"] as? String == "1.3.1" })
        #expect(r131["status"] as? String == "fail")
        let evidence = try #require(r131["evidence"] as? [[String: Any]])
        let flows = try #require(evidence.first { $0["check"] as? String == "flows ingress-breaches" })
        #expect(flows["status"] as? String == "fail")
        let details = try #require(flows["details"] as? [String])
        #expect(details.first?.contains(": 1 flow observed in breach") == true)
        #expect(details.contains { $0.hasPrefix("shop,web-0,payments,api-0,10.0.2.10,443,tcp") })
        let egress = try #require(requirements.first { $0["id"] as? String == "1.3.2" })
        #expect(egress["status"] as? String == "pass")
    }

    @Test func checkRefusesUnreadableInput() throws {
        let out = try FlowlogRunner.run(["pack", "check", "pci-dss", "--cluster", Self.cluster + ".absent"])
        #expect(out.status == 2 && out.stderr.contains("flowlog: error: "))
        let render = try FlowlogRunner.run(["pack", "render", "pci-dss", "--namespace", "Not_A_Namespace"])
        #expect(render.status == 64 && render.stderr.contains("is not a namespace name"))
    }
}
