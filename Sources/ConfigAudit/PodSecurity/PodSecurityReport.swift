import FlowCore

/// Output of `flowlog config pss`: one JSON object per line (the contract scripts read), or
/// text for people.
public enum PodSecurityReport {
    /// `{"kind","namespace","name","level","version","allowed","violations":[{"check","message"}]}`.
    public static func jsonLine(_ result: PodSecurityResult) -> String {
        var line = "{\"kind\":\(JSONText.string(result.kind)),\"namespace\":\(JSONText.string(result.namespace)),"
        line += "\"name\":\(JSONText.string(result.name)),\"level\":\(JSONText.string(result.policy.level.rawValue)),"
        line += "\"version\":\(JSONText.string(result.policy.version.description)),\"allowed\":\(result.allowed),\"violations\":["
        line += result.violations.map { "{\"check\":\(JSONText.string($0.check)),\"message\":\(JSONText.string($0.message))}" }.joined(separator: ",")
        return line + "]}"
    }

    public static func text(_ audit: PodSecurityAudit) -> String {
        var out: [String] = []
        for result in audit.results {
            let verdict = result.allowed ? "allowed" : "DENIED "
            out.append("\(verdict)  \(result.kind) \(result.namespace)/\(result.name)  \(result.policy)")
            for violation in result.violations {
                out.append("           \(violation.check): \(violation.message)")
            }
        }
        let denied = audit.results.filter { !$0.allowed }.count
        out.append("")
        out.append("\(audit.results.count) object\(audit.results.count == 1 ? "" : "s") judged, \(denied) denied")
        if !audit.namespaces.isEmpty {
            out.append("")
            out.append("namespace policies (rejected: objects their own enforce policy rejects):")
            for namespace in audit.namespaces {
                let labels = namespace.labels
                func show(_ p: PodSecurityPolicy?) -> String { p?.description ?? "-" }
                let source = namespace.defined ? "" : " (no Namespace object in the input)"
                out.append("  \(namespace.name): enforce \(show(labels.enforce)), audit \(show(labels.audit)), warn \(show(labels.warn)); \(namespace.rejected) of \(namespace.objects) rejected\(source)")
                if !namespace.rejectedObjects.isEmpty { out.append("    rejected: \(namespace.rejectedObjects.joined(separator: ", "))") }
                for problem in labels.problems { out.append("    warning: \(problem)") }
            }
        }
        return out.joined(separator: "\n")
    }
}
