import FlowCore
import Foundation

/// One report kept in the archive.
public struct ArchivedReport: Sendable, Hashable {
    public let id: String
    public let name: String
    public let type: ReportType
    public let start: Timestamp
    public let end: Timestamp
    /// When its files were written (report.json's modification time).
    public let written: Timestamp
    public let directory: String
    public let files: [String]
}

/// Reports the agent wrote: `DATA/reports/<id>/`, one directory per report with the files
/// `ReportWriter` writes, and `DATA/reports/schedule.json` with when each scheduled report was
/// first seen. The archive itself is the record of what ran: a report's interval is read back
/// from its `summary.csv`, so losing the state file loses no completed interval.
public struct ReportArchive: Sendable {
    public let directory: String

    public init(dataDirectory: String) {
        directory = (dataDirectory as NSString).appendingPathComponent("reports")
    }

    /// Writes the report into `<id>/` (replacing an earlier run of the same interval).
    @discardableResult
    public func store(_ document: ReportDocument) throws -> String {
        let path = (directory as NSString).appendingPathComponent(document.id)
        try ReportWriter.write(document, to: path)
        return path
    }

    /// Every archived report, oldest interval first; directories that are not reports are skipped.
    public func list() throws -> [ArchivedReport] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else { return [] }
        let names: [String]
        do {
            names = try fm.contentsOfDirectory(atPath: directory)
        } catch {
            throw FlowlogError(.io, "cannot list the report archive: \(error.localizedDescription)", location: .init(file: directory))
        }
        return names.compactMap(read).sorted { ($0.end, $0.name) < ($1.end, $1.name) }
    }

    /// The report with this id; a clear error when there is none.
    public func report(id: String) throws -> ArchivedReport {
        guard let found = try list().first(where: { $0.id == id }) else {
            throw FlowlogError(.fileNotFound, "no report with id '\(id)' in the archive (flowlog report list shows them)",
                               location: .init(file: directory))
        }
        return found
    }

    /// The end of the newest archived interval of the report called `name`.
    public func lastEnd(of name: String, in reports: [ArchivedReport]) -> Timestamp? {
        reports.filter { $0.name == name }.map(\.end).max()
    }

    private func read(_ id: String) -> ArchivedReport? {
        let parts = id.split(separator: "_").map(String.init)
        guard parts.count == 3, let type = ReportType(rawValue: parts[1]) else { return nil }
        let path = (directory as NSString).appendingPathComponent(id)
        guard let summary = try? String(contentsOfFile: (path as NSString).appendingPathComponent("summary.csv"), encoding: .utf8)
        else { return nil }
        let rows = summary.split(separator: "\n")
        guard rows.count >= 2 else { return nil }
        let cells = rows[1].split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
        guard cells.count >= 2, let start = Timestamp(rfc3339: String(cells[0])), let end = Timestamp(rfc3339: String(cells[1]))
        else { return nil }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasSuffix(".partial") }.sorted()
        let json = (path as NSString).appendingPathComponent("report.json")
        let modified = (try? FileManager.default.attributesOfItem(atPath: json)[.modificationDate] as? Date) ?? nil
        let written = modified.map { Timestamp(nanoseconds: UInt64(max(0, $0.timeIntervalSince1970) * 1e9)) } ?? .zero
        return ArchivedReport(id: id, name: parts[0], type: type, start: start, end: end, written: written,
                              directory: path, files: files)
    }
}
