import FlowCore
import Foundation
import Testing
@testable import Reports

@Suite struct ReportOutputTests {
    /// `type/file: header` lines transcribed from the compliance reference.
    static func calicoHeaders() throws -> [(type: String, file: String, header: String)] {
        let text = try String(contentsOfFile: ReportFixtures.path("calico-csv-headers.txt"), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let colon = line.firstIndex(of: ":")!
            let key = line[..<colon].split(separator: "/")
            return (String(key[0]), String(key[1]), String(line[line.index(colon, offsetBy: 2)...]))
        }
    }

    @Test func calicoFilesHaveCalicosHeadersByteForByte() throws {
        let headers = try Self.calicoHeaders()
        #expect(headers.count == 11)
        let cluster = try ReportFixtures.demoCluster
        let paths = [ReportFixtures.packageRoot.appendingPathComponent("samples/cluster").path]
        let builder = ReportBuilder(cis: CISInput(clusterPaths: paths))
        for type in [ReportType.inventory, .networkAccess, .cisBenchmark] {
            let document = try builder.build(ReportFixtures.spec(type), states: ManifestStateSource(cluster: cluster, paths: paths),
                                             start: ReportFixtures.start, end: ReportFixtures.end, generated: ReportFixtures.end)
            let files = ReportWriter.files(document)
            for want in headers where want.type == type.rawValue {
                let file = try #require(files.first { $0.name == want.file }, "\(type) has no \(want.file)")
                let header = file.contents.prefix { $0 != "\n" }
                #expect(Array(header.utf8) == Array(want.header.utf8), "\(type)/\(want.file)")
            }
        }
        let audit = headers.first { $0.type == "policy-audit" }!
        #expect(ReportCSV.policyAuditSummary.joined(separator: ",") == audit.header)
    }

    @Test func csvRowsFollowCalicosFormats() throws {
        let d = try ReportFixtures.document(try ReportFixtures.demoCluster, .inventory,
                                            EndpointSelection(namespaces: NameSelection(names: ["payments"])))
        let files = ReportWriter.files(d)
        let summary = try #require(files.first { $0.name == "summary.csv" }).contents.split(separator: "\n")
        #expect(summary[1] == "2026-11-02T09:00:00Z,2026-11-02T10:00:00Z,,payments,,,,3,3,3,1,1,1,2")
        let endpoints = try #require(files.first { $0.name == "endpoints.csv" }).contents.split(separator: "\n")
        #expect(endpoints[3] == "Pod.v1(payments/postgres-0),true,true,false,GlobalNetworkPolicy(deny-threat-feed);GlobalNetworkPolicy(allow-dns);GlobalNetworkPolicy(allow-prometheus-scrape);GlobalNetworkPolicy(allow-egress-in-cluster);NetworkPolicy.networking.k8s.io/v1(payments/allow-to-postgres);GlobalNetworkPolicy(default-deny),Service.v1(payments/postgres)")
        #expect(try #require(files.first { $0.name == "namespaces.csv" }).contents == "namespace,ingressProtected,egressProtected,envoyEnabled\npayments,true,true,false\n")
        #expect(CSVTable.escape("a,b") == "\"a,b\"" && CSVTable.escape("say \"hi\"") == "\"say \"\"hi\"\"\"" && CSVTable.escape("plain") == "plain")
    }

    @Test func jsonSaysWhereTheStateCameFromAndParses() throws {
        let d = try ReportFixtures.document(try ReportFixtures.demoCluster)
        let json = ReportJSON.render(d)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["formatVersion"] as? Int == 1)
        #expect(object["id"] as? String == d.id)
        let state = try #require(object["stateSource"] as? [String: Any])
        #expect(state["kind"] as? String == "point-in-time")
        let summary = try #require(object["summary"] as? [String: Any])
        let calico = try #require(summary["calico"] as? [String: Any])
        #expect(calico["endpointsNumEgressToInternet"] as? Int == 14)
        let assessed = try #require(summary["assessed"] as? [String: Any])
        #expect(assessed["endpointsReachingInternet"] as? Int == 4)
        #expect((object["endpoints"] as? [Any])?.count == 14)
        #expect(object["flows"] == nil)
    }

    @Test func htmlIsSelfContainedAndStatesThePointInTime() throws {
        let d = try ReportFixtures.document(try ReportFixtures.demoCluster)
        let html = ReportHTML.render(d)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("default-src 'none'"))
        #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"))
        #expect(html.contains("data-state-source=\"point-in-time\""))
        #expect(html.contains("<span class=\"num\" data-metric=\"endpointsNumInScope\">14</span>"))
        #expect(html.contains("data-namespace=\"kube-system\" data-metric=\"ingressDefaultDeny\">0</text>"))
        #expect(HTMLText.escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
    }

    @Test func writerPutsEveryFileInPlace() throws {
        let dir = ReportFixtures.temporaryDirectory("out") + "/nested/report"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let written = try ReportWriter.write(try ReportFixtures.document(try ReportFixtures.demoCluster, .inventory), to: dir)
        #expect(written == ["summary.csv", "endpoints.csv", "namespaces.csv", "services.csv", "endpoints-flowlog.csv",
                            "namespaces-flowlog.csv", "report.json", "report.html"])
        let listing = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(listing == written.sorted())
    }
}
