import FlowCore
import Foundation

/// `flowlog config cis` output: a table for people, JSON (the `CISBenchmarkReport` as is) and
/// CSV with Calico's all-tests columns plus offenders and exclusions.
public enum CISReportFormat {
    public static func json(_ report: CISBenchmarkReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    /// Calico's `all-tests.csv` columns (`nodeName,testIndex,testDescription,status,scored,remediation`),
    /// then `offendingObjects` (`;`-separated) and, for excluded tests, the exclusion's reason and expiry.
    public static func csv(_ report: CISBenchmarkReport) -> String {
        var lines = ["nodeName,testIndex,testDescription,status,scored,remediation,offendingObjects,exclusionReason,exclusionExpires"]
        func row(_ r: CISTestResult, _ exclusion: CISExclusion?) -> String {
            [r.node, r.number, r.title, r.status.rawValue, r.scored ? "true" : "false", r.remediation,
             r.offenders.map { "\($0.object): \($0.detail)" }.joined(separator: ";"), exclusion?.reason ?? "", exclusion?.expires ?? ""]
                .map(field).joined(separator: ",")
        }
        lines += report.results.map { row($0, nil) }
        lines += report.excluded.map { row($0.result, $0.exclusion) }
        return lines.joined(separator: "\n") + "\n"
    }

    static func field(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard flat.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return flat }
        return "\"" + flat.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func table(_ report: CISBenchmarkReport) -> String {
        var out: [String] = []
        let s = report.settings
        out.append("\(report.benchmark) — \(report.date)")
        out.append("thresholds HIGH ≥ \(s.highThreshold)%, MED ≥ \(s.medThreshold)%; unscored tests \(s.includeUnscoredTests ? "included" : "left out")")
        out.append("")
        out.append(pad(["NODE", "VERSION", "RATING", "SCORE", "PASS", "FAIL", "UNKNOWN", "TOTAL"], [16, 10, 7, 7, 5, 5, 8, 5]))
        for n in report.nodes {
            out.append(pad([n.node, n.version.isEmpty ? "-" : n.version, n.rating.rawValue, n.score.map { JSONText.decimal($0, digits: 1) + "%" } ?? "-",
                            "\(n.passing)", "\(n.failing)", "\(n.unknown)", "\(n.total)"], [16, 10, 7, 7, 5, 5, 8, 5]))
        }
        out.append("nodes: \(report.highNodes) HIGH, \(report.medNodes) MED, \(report.lowNodes) LOW")
        if !report.topFailed.isEmpty {
            out.append("")
            out.append("top failed tests:")
            for t in report.topFailed { out.append("  \(t.number)  \(t.title)  (\(t.count) node\(t.count == 1 ? "" : "s"))") }
        }
        out.append("")
        out.append(pad(["NODE", "TEST", "STATUS", "SCORED", "TITLE"], [16, 9, 6, 6, 0]))
        for r in report.results {
            out.append(pad([r.node, r.number, r.status.rawValue, r.scored ? "yes" : "no", r.title], [16, 9, 6, 6, 0]))
            for o in r.offenders.prefix(20) { out.append("      \(o.object): \(o.detail)") }
            if r.offenders.count > 20 { out.append("      … and \(r.offenders.count - 20) more (all of them in -o json and -o csv)") }
            if r.status == .fail || r.status == .warn, let first = r.remediation.split(separator: "\n").first {
                out.append("      remediation: \(first)")
            }
        }
        if !report.excluded.isEmpty {
            out.append("")
            out.append("excluded (reason, expires):")
            for e in report.excluded {
                out.append("  \(e.result.node) \(e.result.number) \(e.result.status.rawValue): \(e.exclusion.reason) (until \(e.exclusion.expires))")
            }
        }
        for e in report.expiredExclusions {
            out.append("warning: the exclusion of \(e.test) expired on \(e.expires) and is no longer applied (reason was: \(e.reason))")
        }
        return out.joined(separator: "\n")
    }

    private static func pad(_ cells: [String], _ widths: [Int]) -> String {
        zip(cells, widths).map { cell, width in
            width == 0 || cell.count >= width ? cell : cell + String(repeating: " ", count: width - cell.count)
        }.joined(separator: " ")
    }
}
