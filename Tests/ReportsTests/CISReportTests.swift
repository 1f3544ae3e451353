import ConfigAudit
import FlowCore
import Foundation
import Testing
@testable import Reports

/// cis-benchmark on the demo cluster through ConfigAudit's CIS run; counts worked out from
/// `flowlog config cis --include-unscored` on the same manifests (docs/config-audit.md).
@Suite struct CISReportTests {
    static let spec = """
    apiVersion: projectcalico.org/v3
    kind: GlobalReport
    metadata: {name: daily-cis}
    spec:
      reportType: cis-benchmark
      schedule: '@daily'
      cis:
        highThreshold: 90
        medThreshold: 40
        includeUnscoredTests: true
        numFailedTests: 3
        resultsFilters:
        - exclude:
          - {test: "5.2", reason: pod security admission is rolled out next quarter, expires: "2099-12-31"}
    """

    @Test func demoClusterScoredWithTheSpecsFilters() throws {
        let (specs, errors) = ReportSpecLoader.parse(text: Self.spec, file: "cis.yaml")
        #expect(errors.isEmpty, "\(errors)")
        let spec = try #require(specs.first)
        #expect(spec.cis.resultsFilters.first?.exclude == [CISExclusion(test: "5.2", reason: "pod security admission is rolled out next quarter", expires: "2099-12-31")])
        let cluster = ReportFixtures.packageRoot.appendingPathComponent("samples/cluster").path
        let builder = ReportBuilder(cis: CISInput(clusterPaths: [cluster]))
        let d = try builder.build(spec, states: ManifestStateSource(cluster: try ReportFixtures.demoCluster, paths: [cluster]),
                                  start: ReportFixtures.start, end: ReportFixtures.end, generated: ReportFixtures.end)
        let report = try #require(d.cis)
        // Section 5 without 5.2.x: 14 PASS (5.1.1–4, 5.1.7–13, 5.3.1, 5.4.1, 5.7.4), 5 FAIL (5.1.5, 5.1.6,
        // 5.3.2, 5.7.2, 5.7.3), 3 INFO (5.4.2, 5.5.1, 5.7.1): score 14/19 = 74%, MED between 40 and 90.
        let node = try #require(report.nodes.first)
        #expect(report.nodes.count == 1 && node.node == "cluster")
        #expect((node.passing, node.failing, node.unknown, node.total) == (14, 5, 3, 22))
        #expect(node.rating == .med)
        #expect(report.excluded.count == 13)
        let files = ReportWriter.files(d)
        #expect(files.map(\.name) == ["total-summary.csv", "node-summary.csv", "failed-tests.csv", "all-tests.csv", "report.json", "report.html"])
        func lines(_ name: String) -> [Substring] { files.first { $0.name == name }!.contents.split(separator: "\n") }
        #expect(lines("total-summary.csv")[1] == "2026-11-02T09:00:00Z,2026-11-02T10:00:00Z,kube,90,40,0,1,0")
        #expect(lines("node-summary.csv")[1] == "cluster,,MED,14,5,3,22")
        #expect(lines("failed-tests.csv").dropFirst().map { $0.split(separator: ",")[1] } == ["5.1.5", "5.1.6", "5.3.2", "5.7.2", "5.7.3"])
        #expect(lines("all-tests.csv").count == 23)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(files.first { $0.name == "report.json" }!.contents.utf8)) as? [String: Any])
        #expect((json["cisBenchmark"] as? [String: Any])?["medNodes"] as? Int == 1)
        let html = files.first { $0.name == "report.html" }!.contents
        #expect(html.contains("data-metric=\"medNodeCount\">1</span>") && html.contains("data-metric=\"failedTests\">5</span>"))
    }

    @Test func filterErrorsAreLocated() {
        let bad = Self.spec.replacingOccurrences(of: "reason: pod security admission is rolled out next quarter, ", with: "")
            .replacingOccurrences(of: "\"2099-12-31\"", with: "\"2099-02-30\"")
        let errors = ReportSpecLoader.parse(text: bad, file: "cis.yaml").errors
        #expect(errors.contains { $0.location?.field == "spec.cis.resultsFilters[0].exclude[0]" && $0.message.contains("reason is required") })
        #expect(errors.contains { $0.location?.field == "spec.cis.resultsFilters[0].exclude[0].expires" && $0.location?.line == 14 })
    }

    @Test func withoutInputsTheTypeIsRefused() throws {
        let error = #expect(throws: FlowlogError.self) {
            try ReportBuilder().build(ReportFixtures.spec(.cisBenchmark), states: ManifestStateSource(cluster: try ReportFixtures.demoCluster, paths: []),
                                      start: ReportFixtures.start, end: ReportFixtures.end, generated: ReportFixtures.end)
        }
        #expect(error?.message.contains("cis-benchmark reports need the cluster manifests") == true)
    }
}
