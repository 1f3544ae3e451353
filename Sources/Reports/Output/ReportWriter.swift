import FlowCore
import Foundation

/// Writes a report's files into its output directory: the CSVs, report.json, report.html, and
/// for policy-audit events.json and events.yaml. Each file is written to a temporary name and
/// renamed, so a reader never sees half a report file.
public enum ReportWriter {
    public static func files(_ d: ReportDocument) -> [(name: String, contents: String)] {
        var out = ReportCSV.files(d)
        if d.spec.type == .policyAudit {
            out.append(("events.json", AuditEventsText.json(d.policyChanges)))
            out.append(("events.yaml", AuditEventsText.yaml(d.policyChanges)))
        }
        out.append(("report.json", ReportJSON.render(d)))
        out.append(("report.html", ReportHTML.render(d)))
        return out
    }

    /// Returns the names written.
    @discardableResult
    public static func write(_ d: ReportDocument, to directory: String) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw FlowlogError(.io, "cannot create the output directory: \(error.localizedDescription)", location: .init(file: directory))
        }
        var names: [String] = []
        for file in files(d) {
            let path = (directory as NSString).appendingPathComponent(file.name)
            let temporary = path + ".partial"
            guard FileManager.default.createFile(atPath: temporary, contents: Data(file.contents.utf8)) else {
                throw FlowlogError(.io, "cannot write the file", location: .init(file: temporary))
            }
            if rename(temporary, path) != 0 {
                throw FlowlogError(.io, "cannot rename \(temporary) into place", location: .init(file: path))
            }
            names.append(file.name)
        }
        return names
    }
}

/// policy-audit's events.json and events.yaml: the in-scope changes, oldest first, each with
/// the document the history holds for it.
enum AuditEventsText {
    static func json(_ changes: [PolicyChange]) -> String {
        var j = JSONBuilder()
        j.open(array: true)
        for c in changes { ReportJSON.change(&j, c, withDocument: true) }
        j.close(array: true)
        return j.text + "\n"
    }

    static func yaml(_ changes: [PolicyChange]) -> String {
        guard !changes.isEmpty else { return "[]\n" }
        var out = ""
        for c in changes {
            // JSON strings are valid YAML flow scalars, which keeps any text safe to quote.
            out += "- time: \(JSONText.string(c.time.wholeSecondsRFC3339))\n"
            out += "  verb: \(c.verb.rawValue)\n"
            out += "  kind: \(JSONText.string(c.kind))\n"
            out += "  namespace: \(JSONText.string(c.namespace))\n"
            out += "  name: \(JSONText.string(c.name))\n"
            out += "  author: \(JSONText.string(c.author))\n"
            out += "  document: \(JSONText.string(c.document))\n"
        }
        return out
    }
}
