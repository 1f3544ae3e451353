import FlowCore
import FlowTestSupport
import Foundation
import Testing

/// `flowlog replay` end to end: the built executable on real captures.
struct ReplayCommandTests {
    let noExpiry = ["--idle-timeout", "1000000000", "--active-timeout", "0", "--tcp-teardown", "ignore"]

    @Test func executableIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: FlowlogRunner.executable),
                "flowlog not found at \(FlowlogRunner.executable); run `swift build` first")
    }

    @Test func jsonSummaryMatchesTheReference() throws {
        let r = try FlowlogRunner.run(["replay", "--summary-format", "json"] + noExpiry + [FlowlogRunner.fixture("ndpi-gnutella.pcap")])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty, "nothing on stderr when it is not a terminal")
        let s = try FlowlogRunner.json(r.stdout)
        // pcaplimit -f -b: 3905 packets, 578418 captured / 578474 wire bytes, 760 flows, 22 non-IP.
        #expect(s["packets"] as? Int == 3905)
        #expect(s["captured_bytes"] as? Int == 578_418)
        #expect(s["wire_bytes"] as? Int == 578_474)
        #expect(s["flows"] as? Int == 760)
        #expect(s["non_ip"] as? Int == 22)
        let malformed = try #require(s["malformed"] as? [String: Any])
        #expect(malformed["total"] as? Int == 1)
        #expect((malformed["by_reason"] as? [String: Int])?["link-header-truncated"] == 1)
        #expect((s["errors"] as? [Any])?.isEmpty == true)
        #expect(s["duration_seconds"] as? Double ?? 0 > 600)
        #expect(s["packets_per_second"] != nil && s["first_packet"] is String)
    }

    @Test func textSummaryNamesEveryFigure() throws {
        let r = try FlowlogRunner.run(["replay", FlowlogRunner.fixture("zeek-wikipedia.pcap")])
        #expect(r.status == 0)
        for label in ["packets", "wire bytes", "captured bytes", "flows", "non-ip", "malformed", "capture span", "processing"] {
            #expect(r.stdout.contains(label), "summary line \(label)")
        }
        #expect(r.stdout.contains("packets         136"))
        #expect(r.stdout.contains("packets/s"))
    }

    @Test func flowsAsNDJSON() throws {
        let r = try FlowlogRunner.run(["replay", "--flows", "ndjson", "--summary-format", "json"]
                                      + [FlowlogRunner.fixture("tcpdump-tcp-handshake-nano.pcap"), FlowlogRunner.fixture("zeek-q-in-q.pcap")])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let summary = try FlowlogRunner.json(r.stderr)  // the summary moves to stderr
        #expect(summary["flows"] as? Int == lines.count)
        #expect((summary["files"] as? [String])?.count == 2)
        #expect(summary["packets"] as? Int == 8)
        let flows = try lines.map(FlowlogRunner.json)
        for flow in flows {
            for field in ["source_ip", "source_port", "dest_ip", "dest_port", "proto", "vlan", "start_time", "end_time",
                          "source_packets", "source_bytes", "dest_packets", "dest_bytes"] {
                #expect(flow[field] != nil, "field \(field)")
            }
        }
        let tcp = try #require(flows.first { $0["proto"] as? String == "tcp" })
        #expect(tcp["source_ip"] as? String == "131.155.215.69")
        #expect(tcp["dest_port"] as? Int == 80)
        #expect(tcp["source_packets"] as? Int == 2 && tcp["dest_packets"] as? Int == 1)
        // Calico's reporter-relative counters come only with a cluster (a reporter).
        #expect(tcp["packets_in"] == nil)
        #expect(tcp["start_time"] as? String == "2014-12-09T17:16:09.924505488Z")
        #expect(tcp["tcp_flags"] as? String == "...A..S.")
        let udp = flows.filter { $0["proto"] as? String == "udp" }
        #expect(udp.count == 2 && udp.allSatisfy { $0["vlan"] as? Int == 13 && $0["inner_vlan"] as? Int == 10 })
        let total = flows.reduce(0) { $0 + ($1["source_packets"] as? Int ?? 0) + ($1["dest_packets"] as? Int ?? 0) }
        #expect(total == 7)  // 8 packets, one of them ARP
    }

    @Test func cacheFlagsChangeTheRecords() throws {
        let file = FlowlogRunner.fixture("ndpi-gnutella.pcap")
        let defaults = try FlowlogRunner.json(FlowlogRunner.run(["replay", "--summary-format", "json", file]).stdout)
        let tiny = try FlowlogRunner.json(FlowlogRunner.run(["replay", "--summary-format", "json", "--max-flows", "10", file]).stdout)
        let short = try FlowlogRunner.json(FlowlogRunner.run(["replay", "--summary-format", "json", "--idle-timeout", "1",
                                                              "--active-timeout", "5", file]).stdout)
        #expect((tiny["evictions"] as? Int ?? 0) > 0 && (defaults["evictions"] as? Int) == 0)
        #expect(tiny["peak_flows"] as? Int == 10)
        #expect((short["flows"] as? Int ?? 0) > (defaults["flows"] as? Int ?? 0))
        #expect(((short["flows_by_reason"] as? [String: Int])?["active"] ?? 0) > 0)
    }

    @Test func truncatedCaptureReportsAndKeepsWhatWasRead() throws {
        let r = try FlowlogRunner.run(["replay", "--summary-format", "json", FlowlogRunner.fixture("derived-wikipedia-cut-20000.pcap")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("derived-wikipedia-cut-20000.pcap"))
        #expect(r.stderr.contains("truncated"))
        let s = try FlowlogRunner.json(r.stdout)
        #expect(s["packets"] as? Int == 92)
        #expect(s["flows"] as? Int == 26)
        let errors = try #require(s["errors"] as? [[String: Any]])
        #expect(errors.count == 1 && errors[0]["code"] as? String == "truncated")
    }

    @Test func missingFileFailsBeforeAnyOutput() throws {
        let missing = FlowlogRunner.temporaryPath("absent.pcap")
        let r = try FlowlogRunner.run(["replay", FlowlogRunner.fixture("zeek-q-in-q.pcap"), missing])
        #expect(r.status != 0)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(missing))
        #expect(r.stderr.lowercased().contains("no such file"))
    }

    @Test func unsupportedFileNamesLibpcapsReason() throws {
        let path = FlowlogRunner.temporaryPath("notes.txt")
        try writeFile(path, Array("not a capture\n".utf8))
        let r = try FlowlogRunner.run(["replay", path])
        #expect(r.status != 0)
        #expect(r.stderr.contains(path))
        #expect(r.stderr.hasPrefix("flowlog: error: \(path): not a capture file"))
        #expect(r.stderr.contains("(libpcap: "))
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
    }

    @Test func unsupportedLinkTypeIsRefused() throws {
        var writer = PcapWriter(linkType: 147)  // LINKTYPE_USER0
        writer.append([1, 2, 3, 4], at: Timestamp(seconds: 1_700_000_000, nanoseconds: 0))
        let path = FlowlogRunner.temporaryPath("user0.pcap")
        try writer.write(to: path)
        let r = try FlowlogRunner.run(["replay", path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("not supported") && r.stderr.contains(path))
    }

    @Test func handBuiltCaptureEndToEnd() throws {
        typealias B = PacketBuilder
        let client = IPAddress("10.244.0.5")!, service = IPAddress("10.96.0.1")!
        var writer = PcapWriter(linkType: PcapWriter.linuxSLL2, precision: .nanoseconds, bigEndian: true)
        let base = Timestamp(seconds: 1_763_884_800, nanoseconds: 1)
        let syn = B.linuxSLL2(protocol: B.etherTypeIPv4, payload: B.ipv4(source: client, destination: service, protocol: .tcp,
                                                                         payload: B.tcp(sourcePort: 51000, destinationPort: 443, flags: .syn)))
        let synAck = B.linuxSLL2(protocol: B.etherTypeIPv4, payload: B.ipv4(source: service, destination: client, protocol: .tcp,
                                                                            payload: B.tcp(sourcePort: 443, destinationPort: 51000, flags: [.syn, .ack])))
        writer.append(syn, at: base)
        writer.append(synAck, at: Timestamp(nanoseconds: base.nanoseconds + 250))
        let path = FlowlogRunner.temporaryPath("sll2.pcap")
        try writer.write(to: path)
        let r = try FlowlogRunner.run(["replay", "--flows", "ndjson", path])
        #expect(r.status == 0)
        let flow = try FlowlogRunner.json(String(r.stdout.split(separator: "\n").first ?? ""))
        #expect(flow["source_ip"] as? String == "10.244.0.5" && flow["dest_ip"] as? String == "10.96.0.1")
        #expect(flow["start_time"] as? String == "2025-11-23T08:00:00.000000001Z")
        #expect(flow["end_time"] as? String == "2025-11-23T08:00:00.000000251Z")
        #expect(flow["source_bytes"] as? Int == syn.count && flow["dest_bytes"] as? Int == synAck.count)
        #expect(flow["vlan"] is NSNull)
        #expect(r.stderr.contains("flows"))  // the text summary, on stderr beside the flows
    }

    @Test func captureFromStandardInput() throws {
        let r = try FlowlogRunner.run(["replay", "--summary-format", "json", "-"],
                                      standardInput: FlowlogRunner.fixture("ndpi-sites.pcapng"))
        #expect(r.status == 0)
        let s = try FlowlogRunner.json(r.stdout)
        #expect(s["packets"] as? Int == 699 && s["files"] as? [String] == ["-"])
    }

    @Test func invalidOptionsAreRejected() throws {
        let file = FlowlogRunner.fixture("zeek-q-in-q.pcap")
        #expect(try FlowlogRunner.run(["replay", "--idle-timeout", "0", file]).status != 0)
        #expect(try FlowlogRunner.run(["replay", "--summary-format", "xml", file]).status != 0)
        #expect(try FlowlogRunner.run(["replay"]).status != 0)
    }

    /// Manifests load while the capture already runs: a bad one still stops the replay before
    /// anything is stored, and is reported ahead of a missing capture, as when it loaded first.
    @Test func badManifestFailsBeforeStoringAndBeforeAMissingCapture() throws {
        let manifest = FlowlogRunner.temporaryPath("bad-manifest") + ".yaml"
        let data = FlowlogRunner.temporaryPath("bad-manifest-data")
        defer { try? FileManager.default.removeItem(atPath: manifest); try? FileManager.default.removeItem(atPath: data) }
        try "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec: {order: ten}\n"
            .write(toFile: manifest, atomically: true, encoding: .utf8)
        let capture = FlowlogRunner.packageRoot.path + "/samples/demo.pcap"
        let failed = try FlowlogRunner.run(["replay", capture, "--cluster", manifest, "--data", data])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains(":4:15, spec.order: NetworkPolicy shop/p: 'ten' is not a number"), "\(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data))
        let both = try FlowlogRunner.run(["replay", data + "/missing.pcap", "--cluster", manifest])
        #expect(both.status != 0)
        #expect(both.stderr.contains("'ten' is not a number") && !both.stderr.contains("missing.pcap"), "\(both.stderr)")
    }
}
