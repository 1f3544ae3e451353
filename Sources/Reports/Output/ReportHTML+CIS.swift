import ConfigAudit

/// The cis-benchmark part of report.html: node ratings, the tests failed on most nodes, and
/// every failed test with its offenders and remediation.
extension ReportHTML {
    static func cisBenchmark(_ r: CISBenchmarkReport) -> String {
        var h = "<section id=\"summary\"><h2>Summary</h2><p class=\"meta\">\(e(r.benchmark)); exclusions judged on \(e(r.date)); "
        h += "HIGH at a score of \(r.settings.highThreshold)% or more, MED at \(r.settings.medThreshold)%.</p><div class=\"cards\">"
        h += card("hiNodeCount", r.highNodes, "nodes rated HIGH")
        h += card("medNodeCount", r.medNodes, "nodes rated MED")
        h += card("lowNodeCount", r.lowNodes, "nodes rated LOW")
        h += card("failedTests", r.results.filter { $0.status == .fail }.count, "failed tests")
        h += card("excludedTests", r.excluded.count, "tests excluded (with reason and expiry)")
        h += "</div></section><section id=\"nodes\"><h2>Nodes</h2><table><tr><th>node</th><th>version</th><th>rating</th><th>passing</th><th>failing</th><th>unknown</th><th>total</th></tr>"
        for n in r.nodes {
            h += "<tr data-node=\"\(e(n.node))\"><td>\(e(n.node))</td><td>\(e(n.version))</td><td data-metric=\"status\">\(n.rating.rawValue)</td><td data-metric=\"testsPassing\">\(n.passing)</td><td data-metric=\"testsFailing\">\(n.failing)</td><td data-metric=\"testsUnknown\">\(n.unknown)</td><td data-metric=\"testsTotal\">\(n.total)</td></tr>"
        }
        h += "</table></section>"
        if !r.topFailed.isEmpty {
            h += "<section id=\"top-failed\"><h2>Tests failed on most nodes</h2><table><tr><th>test</th><th>title</th><th>nodes</th></tr>"
            for t in r.topFailed { h += "<tr><td>\(e(t.number))</td><td>\(e(t.title))</td><td>\(t.count)</td></tr>" }
            h += "</table></section>"
        }
        let failed = r.results.filter { $0.status == .fail }
        h += "<section id=\"failed\"><h2>Failed tests</h2>"
        guard !failed.isEmpty else { return h + "<p>No kept test failed.</p></section>" }
        h += "<table><tr><th>node</th><th>test</th><th>title</th><th>offenders</th><th>remediation</th></tr>"
        for t in failed {
            let offenders = t.offenders.prefix(20).map { e("\($0.object): \($0.detail)") }.joined(separator: "<br>")
                + (t.offenders.count > 20 ? "<br>… and \(t.offenders.count - 20) more (report.json has all)" : "")
            h += "<tr data-failed-test=\"\(e(t.node))/\(e(t.number))\"><td>\(e(t.node))</td><td>\(e(t.number))</td><td>\(e(t.title))</td><td>\(offenders)</td><td>\(e(t.remediation))</td></tr>"
        }
        return h + "</table></section>"
    }
}
