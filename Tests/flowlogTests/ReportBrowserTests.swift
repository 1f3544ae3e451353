import Foundation
import Testing

/// report.html of every report type in a real headless browser (Debian's chromium): the page
/// loads without a console message, its screenshot is not blank, and every number it shows
/// equals the one in the CSV files written beside it.
@Suite("report.html in a headless browser", .serialized)
struct ReportBrowserTests {
    static let root = FlowlogRunner.packageRoot.path

    /// chromium, or nil after saying why the test is skipped (never allowed in CI).
    static func browser() -> HeadlessBrowser? {
        if let found = HeadlessBrowser.find() { return found }
        if HeadlessBrowser.required {
            Issue.record("chromium is not installed, and FLOWLOG_REQUIRE_BROWSER=1 forbids skipping the browser test")
        } else {
            print("skipping the report's browser test: no chromium installed (apt-get install -y chromium)")
        }
        return nil
    }

    /// An empty page's screenshot, the measure of "blank".
    static func blankShot(_ browser: HeadlessBrowser) throws -> Data {
        let blank = FlowlogRunner.temporaryPath("blank.html")
        try "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body></body></html>".write(toFile: blank, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: blank) }
        return try browser.screenshot(blank, to: blank + ".png")
    }

    /// The checks every report page gets; returns the page's DOM for the number checks.
    static func loadAndShoot(_ browser: HeadlessBrowser, _ output: String, title: String) throws -> String {
        let page = try browser.load(output + "/report.html")
        #expect(page.console.isEmpty, "console messages: \(page.console)")
        #expect(page.dom.contains(title))
        let shot = try browser.screenshot(output + "/report.html", to: output + "/shot.png")
        let empty = try blankShot(browser)
        #expect(shot.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        #expect(shot != empty)
        // A rendered report compresses far worse than white space.
        #expect(shot.count > 4 * empty.count, "report \(shot.count) bytes, blank page \(empty.count)")
        return page.dom
    }

    /// Every number of summary.csv after the scope columns, except envoyEnabled (always 0, for
    /// Calico's scripts), is on the page under its column name.
    static func summaryMatches(_ dom: String, _ output: String, file: String = "summary.csv") throws {
        let summary = try #require(try ReportCommandTests.csv(output + "/" + file).first)
        let metrics = values(in: dom, attribute: "data-metric")
        var compared = 0
        for (column, value) in summary where Int(value) != nil && !column.contains("Envoy") && !column.contains("Threshold") {
            #expect(metrics[column] == [value], "\(file) \(column)")
            compared += 1
        }
        #expect(compared >= 3, "\(file): only \(compared) numbers compared")
    }

    /// Per namespace, the coverage plot's numbers are those of namespaces-flowlog.csv.
    static func coverageMatches(_ dom: String, _ output: String) throws {
        let rows = try ReportCommandTests.csv(output + "/namespaces-flowlog.csv")
        #expect(!rows.isEmpty)
        for row in rows {
            let ns = row["namespace"]!
            for metric in ["ingressDefaultDeny", "egressDefaultDeny"] {
                let shown = values(in: dom, attribute: "data-metric", where: "data-namespace=\"\(ns)\"")[metric]
                #expect(shown == [row[metric]!], "\(ns) \(metric)")
            }
        }
    }

    /// flowlog's own summary numbers, counted from endpoints-flowlog.csv.
    static func endpointCountsMatch(_ dom: String, _ output: String, observed: Bool) throws {
        let metrics = values(in: dom, attribute: "data-metric")
        let endpoints = try ReportCommandTests.csv(output + "/endpoints-flowlog.csv")
        func count(_ test: ([String: String]) -> Bool) -> [String] { [String(endpoints.filter(test).count)] }
        #expect(metrics["endpointsNumInScope"] == [String(endpoints.count)])
        #expect(metrics["endpointsIngressDefaultDeny"] == count { $0["ingressDefaultDeny"] == "true" })
        #expect(metrics["endpointsEgressDefaultDeny"] == count { $0["egressDefaultDeny"] == "true" })
        #expect(metrics["endpointsReachableFromInternet"] == count { $0["reachableFromInternet"] == "true" })
        #expect(metrics["endpointsReachingInternet"] == count { $0["reachesInternet"] == "true" })
        #expect(metrics["endpointsReachableFromOtherNamespace"] == count { $0["reachableFromOtherNamespace"] == "true" })
        #expect(metrics["endpointsReachingOtherNamespace"] == count { $0["reachesOtherNamespace"] == "true" })
        #expect(metrics["endpointsWithoutDefaultDeny"] == count { $0["ingressDefaultDeny"] == "false" || $0["egressDefaultDeny"] == "false" })
        guard observed else {
            #expect(metrics["flowsAllowed"] == nil)
            return
        }
        #expect(metrics["endpointsWithDeniedFlows"] == count { Int($0["observedDeniedIngress"]!)! + Int($0["observedDeniedEgress"]!)! > 0 })
        #expect(metrics["endpointsAllowedFromInternet"] == count { Int($0["observedAllowedFromInternet"]!)! > 0 })
        #expect(metrics["endpointsAllowedToInternet"] == count { Int($0["observedAllowedToInternet"]!)! > 0 })
    }

    @Test func networkAccess() throws {
        guard let browser = Self.browser() else { return }
        let (result, output) = try ReportCommandTests.runReport("network-access")
        defer { try? FileManager.default.removeItem(atPath: output) }
        try #require(result.status == 0, "\(result.stderr)")
        let dom = try Self.loadAndShoot(browser, output, title: "Network policy report: demo-network-access")
        try Self.summaryMatches(dom, output)
        try Self.endpointCountsMatch(dom, output, observed: true)
        try Self.coverageMatches(dom, output)
        // Matrix cells sum to the allowed and denied totals; the top denied flows are the JSON's.
        let json = try FlowlogRunner.json(try String(contentsOfFile: output + "/report.json", encoding: .utf8))
        let observed = try #require((json["summary"] as? [String: Any])?["observed"] as? [String: Any])
        let cells = Self.matrixCells(dom)
        #expect(cells["allowed"] == observed["flowsAllowed"] as? Int && cells["allowed"] == 204)
        #expect(cells["denied"] == observed["flowsDenied"] as? Int && cells["denied"] == 36)
        let topDenied = try #require((json["flows"] as? [String: Any])?["topDenied"] as? [[String: Any]])
        #expect(Self.values(in: dom, attribute: "data-metric")["deniedFlows"] == topDenied.map { String($0["flows"] as! Int) })
    }

    @Test func inventory() throws {
        guard let browser = Self.browser() else { return }
        let (result, output) = try ReportCommandTests.runReport("inventory")
        defer { try? FileManager.default.removeItem(atPath: output) }
        try #require(result.status == 0, "\(result.stderr)")
        let dom = try Self.loadAndShoot(browser, output, title: "Network policy report: demo-inventory")
        try Self.summaryMatches(dom, output)
        try Self.endpointCountsMatch(dom, output, observed: true)
        try Self.coverageMatches(dom, output)
        // Calico's namespace flags: the page's counts are the rows of namespaces.csv marked true.
        let namespaces = try ReportCommandTests.csv(output + "/namespaces.csv")
        let metrics = Self.values(in: dom, attribute: "data-metric")
        #expect(metrics["namespacesNumInScope"] == [String(namespaces.count)])
        #expect(metrics["namespacesNumIngressProtected"] == [String(namespaces.filter { $0["ingressProtected"] == "true" }.count)])
        #expect(metrics["namespacesNumEgressProtected"] == [String(namespaces.filter { $0["egressProtected"] == "true" }.count)])
    }

    @Test func policyAudit() throws {
        guard let browser = Self.browser() else { return }
        let work = FlowlogRunner.temporaryPath("report-audit-html")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let ingest = try FlowlogRunner.run(["audit", "ingest", Self.root + "/Tests/AuditTests/Fixtures/kube-audit.log", "--audit", work + "/audit"])
        try #require(ingest.status == 0 || ingest.status == 2, "\(ingest.stderr)")
        let output = work + "/out"
        let run = try FlowlogRunner.run(["report", "run", "--spec", try ReportCommandTests.spec("policy-audit"), "--audit", work + "/audit",
                                         "--start", "2026-11-23T07:00:00Z", "--end", "2026-11-23T09:00:00Z", "--output", output])
        try #require(run.status == 0, "\(run.stderr)")
        let dom = try Self.loadAndShoot(browser, output, title: "Network policy report: demo-policy-audit")
        try Self.summaryMatches(dom, output)
        // One table row per event of events.json, with its verb.
        let events = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/events.json"))) as? [[String: Any]])
        #expect(events.count == 6)
        let rows = Self.attributeValues(in: dom, attribute: "data-event")
        #expect(rows == events.map { $0["verb"] as! String })
    }

    @Test func cisBenchmark() throws {
        guard let browser = Self.browser() else { return }
        let kubeBench = Self.root + "/Tests/flowlogTests/Fixtures/config/kube-bench"
        let (result, output) = try ReportCommandTests.runReport("cis-benchmark", data: false, extra: [
            "--kube-bench", kubeBench + "/control-plane-1.json", "worker=" + kubeBench + "/worker-1.json"])
        defer { try? FileManager.default.removeItem(atPath: output) }
        try #require(result.status == 0, "\(result.stderr)")
        let dom = try Self.loadAndShoot(browser, output, title: "Network policy report: demo-cis-benchmark")
        try Self.summaryMatches(dom, output, file: "total-summary.csv")
        // Each node's row holds node-summary.csv's numbers and rating.
        let nodes = try ReportCommandTests.csv(output + "/node-summary.csv")
        #expect(nodes.map { $0["node"]! } == ["cluster", "control-plane-1", "worker"])
        let shown = Self.rows(in: dom, attribute: "data-node")
        #expect(shown.map(\.key) == nodes.map { $0["node"]! })
        for (node, row) in zip(nodes, shown) {
            let cells = Self.values(in: row.html, attribute: "data-metric")
            for column in ["status", "testsPassing", "testsFailing", "testsUnknown", "testsTotal"] {
                #expect(cells[column] == [node[column]!], "\(node["node"]!) \(column)")
            }
        }
        // Every failed test of failed-tests.csv is listed, and nothing else.
        let failed = try ReportCommandTests.csv(output + "/failed-tests.csv")
        #expect(!failed.isEmpty)
        #expect(Self.attributeValues(in: dom, attribute: "data-failed-test") == failed.map { "\($0["nodeName"]!)/\($0["testIndex"]!)" })
        #expect(Self.values(in: dom, attribute: "data-metric")["failedTests"] == [String(failed.count)])
    }

    @Test func theBrowserCheckCatchesConsoleErrors() throws {
        guard let browser = Self.browser() else { return }
        // The report's own policy blocks a fetch; the console says so, and the check sees it.
        let page = FlowlogRunner.temporaryPath("fetching.html")
        try """
        <!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head>
        <body><img src="http://192.0.2.1/x.png"></body></html>
        """.write(toFile: page, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: page) }
        #expect(try browser.load(page).console.count == 1)
    }

    /// `attribute="name">value<` pairs in the DOM, optionally only in elements also carrying `filter`.
    static func values(in dom: String, attribute: String, where filter: String? = nil) -> [String: [String]] {
        var out: [String: [String]] = [:]
        let pattern = try! NSRegularExpression(pattern: "<[^>]*\(attribute)=\"([^\"]+)\"[^>]*>([^<]*)<")
        for match in pattern.matches(in: dom, range: NSRange(dom.startIndex..., in: dom)) {
            let element = String(dom[Range(match.range, in: dom)!])
            if let filter, !element.contains(filter) { continue }
            out[String(dom[Range(match.range(at: 1), in: dom)!]), default: []].append(String(dom[Range(match.range(at: 2), in: dom)!]))
        }
        return out
    }

    /// The values of `attribute` in document order.
    static func attributeValues(in dom: String, attribute: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: "\(attribute)=\"([^\"]*)\"")
        return pattern.matches(in: dom, range: NSRange(dom.startIndex..., in: dom)).map { String(dom[Range($0.range(at: 1), in: dom)!]) }
    }

    /// Table rows carrying `attribute`, in document order: its value and the row's inner HTML.
    static func rows(in dom: String, attribute: String) -> [(key: String, html: String)] {
        let pattern = try! NSRegularExpression(pattern: "<tr [^>]*\(attribute)=\"([^\"]*)\"[^>]*>(.*?)</tr>", options: .dotMatchesLineSeparators)
        return pattern.matches(in: dom, range: NSRange(dom.startIndex..., in: dom)).map {
            (String(dom[Range($0.range(at: 1), in: dom)!]), String(dom[Range($0.range(at: 2), in: dom)!]))
        }
    }

    static func matrixCells(_ dom: String) -> [String: Int] {
        var sums: [String: Int] = [:]
        let pattern = try! NSRegularExpression(pattern: "data-matrix=\"(allowed|denied)\"[^>]*>([0-9]+)<")
        for match in pattern.matches(in: dom, range: NSRange(dom.startIndex..., in: dom)) {
            sums[String(dom[Range(match.range(at: 1), in: dom)!]), default: 0] += Int(dom[Range(match.range(at: 2), in: dom)!])!
        }
        return sums
    }
}

/// RFC 4180 CSV as the report writes it: quoted fields may hold commas, quotes and newlines.
enum CSVText {
    static func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = text.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? chars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    let next = chars.next()
                    if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field)
                field = ""
            } else if c == "\n" || c == "\r\n" {
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
