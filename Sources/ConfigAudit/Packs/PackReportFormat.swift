import FlowCore
import Foundation

/// `flowlog pack show` and `flowlog pack check` output.
public enum PackReportFormat {
    public static func describe(_ pack: CompliancePack) -> String {
        var out = ["\(pack.name): \(pack.title)", ""]
        if !pack.summary.isEmpty { out += [pack.summary, ""] }
        out.append("tier \(pack.tier.name) (order \(PackRenderer.number(pack.tier.order))): \(pack.policyNames.joined(separator: ", "))")
        out.append("Pod Security: the scope namespaces enforce \(pack.podSecurity)")
        if !pack.networkSets.isEmpty { out.append("network sets: \(pack.networkSets.map(\.name).joined(separator: ", "))") }
        if !pack.namespaced.isEmpty { out.append("per namespace: \(pack.namespaced.map { "\($0.kind) \($0.name)" }.joined(separator: ", "))") }
        out.append("reports: \(pack.reports.map { "\(pack.name)-\($0.name) (\($0.reportType), \($0.schedule))" }.joined(separator: ", "))")
        out.append("")
        out.append("expectations (checked with the tier engine):")
        for x in pack.expectations {
            let want = [x.packAction.map { "\($0) in tier \(pack.tier.name)" }, x.verdict.map { "verdict \($0)" }].compactMap { $0 }.joined(separator: ", ")
            out.append("  \(x.id): \(x.from) → \(x.to) \(x.ipProtocol)/\(x.port): \(want)")
        }
        if !pack.flowChecks.isEmpty {
            out.append("")
            out.append("flow checks (with --data):")
            for f in pack.flowChecks { out.append("  \(f.id): \(f.description)") }
        }
        out.append("")
        out.append("requirements:")
        for c in pack.controls {
            out.append("  \(c.id)  \(c.title)")
            out.append("        \(c.checks.map(PackChecker.describe).joined(separator: ", "))")
        }
        return out.joined(separator: "\n")
    }

    public static func table(_ report: PackCheckReport) -> String {
        var out = ["pack \(report.pack): \(report.title)", "scope: \(report.scope.isEmpty ? "(not rendered in these manifests)" : report.scope.joined(separator: ", "))", ""]
        for r in report.requirements {
            out.append("\(r.status.rawValue.uppercased().padding(toLength: 13, withPad: " ", startingAt: 0)) \(r.id)  \(r.title)")
            for e in r.evidence {
                out.append("    \(e.status.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) \(e.check)")
                for d in e.details { out.append("        \(d)") }
            }
        }
        let failed = report.requirements.filter { $0.status == .fail }.count
        out.append("")
        out.append("\(report.requirements.count) requirements, \(failed) failing")
        return out.joined(separator: "\n")
    }

    public static func json(_ report: PackCheckReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    /// One row per piece of evidence: `pack,requirement,title,requirementStatus,check,checkStatus,details`.
    public static func csv(_ report: PackCheckReport) -> String {
        var lines = ["pack,requirement,title,requirementStatus,check,checkStatus,details"]
        for r in report.requirements {
            for e in r.evidence {
                lines.append([report.pack, r.id, r.title, r.status.rawValue, e.check, e.status.rawValue, e.details.joined(separator: ";")]
                    .map(CISReportFormat.field).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
