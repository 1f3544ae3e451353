import Foundation
import Testing

/// DNS-aware egress end to end, on real captured DNS traffic: `flowlog replay` decodes the
/// responses, the policy stage decides `destination.domains` rules with the names, the store
/// keeps them, `flowlog query` filters and prints them; `policy explain --dst-domain` agrees.
struct DNSPolicyCommandTests {
    let capture = FlowlogRunner.packageRoot.appendingPathComponent("Tests/flowlogTests/Fixtures/dns/zeek-wikipedia.pcap").path
    let cluster = FlowlogRunner.packageRoot.appendingPathComponent("Tests/flowlogTests/Fixtures/dns/cluster.yaml").path

    private func replay(_ extra: [String] = []) throws -> (data: String, summary: [String: Any]) {
        let data = FlowlogRunner.temporaryPath("dns")
        let r = try FlowlogRunner.run(["replay", capture, "--cluster", cluster, "--data", data, "--summary-format", "json"] + extra)
        try #require(r.status == 0, "\(r.stderr)")
        return (data, try FlowlogRunner.json(r.stdout))
    }

    private func query(_ data: String, _ arguments: [String]) throws -> [String] {
        let r = try FlowlogRunner.run(["query", "--data", data] + arguments)
        try #require(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\n").map(String.init)
    }

    @Test func namesDecideDomainRulesAndAreStoredAndQueryable() throws {
        let (data, summary) = try replay()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let dns = try #require(summary["dns"] as? [String: Any])
        #expect(dns["responses"] as? Int == 14 && dns["address_answers"] as? Int == 5 && dns["malformed"] as? Int == 0)
        // The six HTTP flows to upload.wikimedia.org (a CNAME to upload.pmtpa) are allowed by rule 1.
        let upload = try query(data, ["dst.domain upload.wikimedia.org", "-o", "csv", "--fields", "dest_ip,action,policies,dest_domains"])
        #expect(upload.count == 7)
        #expect(Set(upload.dropFirst()) == ["208.80.152.3,allow,0|default|gnp:egress-allowlist|allow|1,upload.wikimedia.org;upload.pmtpa.wikimedia.org"])
        // Wildcards: every wikimedia name; meta/text is not on the allow list.
        let wiki = try query(data, ["dst.domain *.wikimedia.org", "--group-by", "action,dest_domains", "-o", "csv"])
        #expect(wiki.contains("deny,meta.wikimedia.org;text.wikimedia.org;text.pmtpa.wikimedia.org,1,7,1424"))
        #expect(wiki.contains { $0.hasPrefix("allow,upload.wikimedia.org;upload.pmtpa.wikimedia.org,6,") })
        // JSON carries the list.
        let json = try query(data, ["dst.domain upload.wikimedia.org", "-o", "ndjson", "--fields", "dest_domains"])
        #expect(json.first == "{\"dest_domains\":[\"upload.wikimedia.org\",\"upload.pmtpa.wikimedia.org\"]}")
    }

    @Test func withoutDNSTheDomainRuleMatchesNothing() throws {
        let (data, summary) = try replay(["--no-dns"])
        defer { try? FileManager.default.removeItem(atPath: data) }
        #expect(summary["dns"] == nil)
        let upload = try query(data, ["dst.ip 208.80.152.3", "-o", "csv", "--fields", "action,policies,dest_domains"])
        #expect(Set(upload.dropFirst()) == ["deny,0|default|gnp:egress-allowlist|deny|-1,-"])
    }

    @Test func explainTakesTheNames() throws {
        let base = ["policy", "explain", "--cluster", cluster, "--src", "lab/browser-0", "--dst", "208.80.152.3",
                    "--proto", "tcp", "--dst-port", "80", "--format", "json"]
        let named = try FlowlogRunner.run(base + ["--dst-domain", "Upload.Wikimedia.org."])
        #expect(named.status == 0)
        #expect(named.stdout.contains("\"0|default|gnp:egress-allowlist|allow|1\""))
        let unnamed = try FlowlogRunner.run(base)
        #expect(unnamed.stdout.contains("\"0|default|gnp:egress-allowlist|deny|-1\""))
    }
}
