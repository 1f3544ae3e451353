import Audit
import FlowCore
import Foundation
import Reports

extension SinkWorker {
    /// Findings of reports archived since the cursor (`DATA/reports/<id>/report.json`, written
    /// by `flowlog report run --archive` and the agent's scheduled reports): each endpoint with
    /// findings, and each CIS test that failed or warned, is one record.
    func collectFindings(into collected: inout Collected, payload: inout [UInt8]) throws {
        let archive = ReportArchive(dataDirectory: sources.dataDirectory)
        let after = sources.window == nil ? state.findings : windowFindings
        let reports = try archive.list().filter { $0.written.nanoseconds > after }.sorted { $0.written < $1.written }
        guard let newest = reports.last else { return }
        for report in reports {
            if let window = sources.window {
                if let since = window.since, report.end < since { continue }
                if let until = window.until, report.start >= until { continue }
            }
            let path = report.directory + "/report.json"
            guard let bytes = FileManager.default.contents(atPath: path) else {
                log("siem: sink \(sink.name): report \(report.id) has no report.json; its findings are not exported")
                continue
            }
            let document: JSONValue
            do {
                document = try bytes.withUnsafeBytes { try JSONParser.parse($0) }
            } catch {
                log("siem: sink \(sink.name): \(path): \(error); its findings are not exported")
                continue
            }
            for record in FindingRecords.records(of: report, document: document, cluster: builder.cluster) {
                try spoolRecord(record, payload: &payload)
                collected.records += 1
            }
        }
        if sources.window == nil {
            state.findings = newest.written.nanoseconds
            cursorsMoved = true
        } else {
            windowFindings = newest.written.nanoseconds
        }
    }
}

/// The findings in one archived report, as export records.
enum FindingRecords {
    static func records(of report: ArchivedReport, document: JSONValue, cluster: String) -> [ExportRecord] {
        var records: [ExportRecord] = []
        let common: [JSONMember] = [
            JSONMember("report_id", .string(report.id)), JSONMember("report_name", .string(report.name)),
            JSONMember("report_type", .string(report.type.rawValue)),
            JSONMember("report_start", .string(report.start.rfc3339)), JSONMember("report_end", .string(report.end.rfc3339)),
        ]
        func add(_ members: [JSONMember], namespace: String, host: String, parameters: [(String, String)]) {
            var fields: [(name: String, value: String)] = []
            if !namespace.isEmpty { fields.append(("namespace", namespace)) }
            fields.append(("verdict", "fail"))
            if !cluster.isEmpty { fields.append(("cluster", cluster)) }
            var parameters = [("report", report.name)] + parameters
            if !cluster.isEmpty { parameters.append(("cluster", cluster)) }
            records.append(ExportRecord(kind: .findings, id: "finding-\(report.id)-\(records.count)", time: report.end, host: host,
                                        body: Array(JSONValue.object(common + members).compactText.utf8), fields: fields,
                                        parameters: parameters.map { (name: $0.0, value: $0.1) }, alert: true))
        }
        for endpoint in document["endpoints"]?.arrayValue ?? [] {
            // `assessed.findings`: what flowlog's own reading of the policies found.
            guard let findings = (endpoint["assessed"]?["findings"] ?? endpoint["findings"])?.arrayValue, !findings.isEmpty else { continue }
            let namespace = endpoint["namespace"]?.stringValue ?? ""
            let name = endpoint["endpoint"]?.stringValue ?? ""
            add([JSONMember("finding", .string("endpoint")), JSONMember("endpoint", .string(name)),
                 JSONMember("namespace", .string(namespace)), JSONMember("name", .string(endpoint["name"]?.stringValue ?? "")),
                 JSONMember("findings", .array(findings))],
                namespace: namespace, host: "",
                parameters: [("endpoint", name), ("findings", findings.compactMap(\.stringValue).joined(separator: "; "))])
        }
        for result in document["cisBenchmark"]?["results"]?.arrayValue ?? [] {
            let status = result["status"]?.stringValue ?? ""
            guard status == "FAIL" || status == "WARN" else { continue }
            let number = result["number"]?.stringValue ?? ""
            let node = result["node"]?.stringValue ?? ""
            add([JSONMember("finding", .string("cis")), JSONMember("node", .string(node)), JSONMember("test", .string(number)),
                 JSONMember("title", result["title"] ?? .null), JSONMember("status", .string(status)),
                 JSONMember("scored", result["scored"] ?? .null), JSONMember("offenders", result["offenders"] ?? .array([])),
                 JSONMember("remediation", result["remediation"] ?? .null)],
                namespace: "", host: node, parameters: [("test", number), ("status", status)])
        }
        return records
    }
}
