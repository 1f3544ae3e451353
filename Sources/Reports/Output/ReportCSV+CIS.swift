import ConfigAudit

/// cis-benchmark's four files with Calico's columns (compliance §1.4).
extension ReportCSV {
    public static let cisTotalSummary = ["startTime", "endTime", "type", "hiPercentThreshold", "medPercentThreshold",
                                         "hiNodeCount", "medNodeCount", "lowNodeCount"]
    public static let cisNodeSummary = ["node", "version", "status", "testsPassing", "testsFailing", "testsUnknown", "testsTotal"]
    public static let cisTests = ["nodeName", "testIndex", "testDescription", "status", "scored", "remediation"]

    static func cisFiles(_ d: ReportDocument, _ report: CISBenchmarkReport) -> [(name: String, contents: String)] {
        var total = CSVTable(header: cisTotalSummary)
        // Calico's benchmark type for Kubernetes nodes is "kube".
        total.append([d.start.wholeSecondsRFC3339, d.end.wholeSecondsRFC3339, "kube", String(report.settings.highThreshold),
                      String(report.settings.medThreshold), String(report.highNodes), String(report.medNodes), String(report.lowNodes)])
        var nodes = CSVTable(header: cisNodeSummary)
        for n in report.nodes {
            nodes.append([n.node, n.version, n.rating.rawValue, String(n.passing), String(n.failing), String(n.unknown), String(n.total)])
        }
        var failed = CSVTable(header: cisTests)
        var all = CSVTable(header: cisTests)
        for r in report.results {
            let row = [r.node, r.number, r.title, r.status.rawValue, r.scored.csv, r.remediation]
            all.append(row)
            if r.status == .fail { failed.append(row) }
        }
        return [("total-summary.csv", total.text), ("node-summary.csv", nodes.text), ("failed-tests.csv", failed.text),
                ("all-tests.csv", all.text)]
    }
}
