import FlowCore
import Foundation

/// One benchmark result kept as evidence: when it ran, on what, and the report.
public struct CISEvidenceRecord: Sendable, Hashable, Codable {
    /// RFC 3339, UTC.
    public let generated: String
    public let clusterPaths: [String]
    public let kubeBench: [String]
    public let report: CISBenchmarkReport
}

/// A directory of CIS results over time, one JSON file per run
/// (`cis-<YYYYMMDD>T<HHMMSS>Z.json`), never rewritten; the agent adds one per scheduled run and
/// the `cis-benchmark` report reads them back.
public struct CISEvidenceStore: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Runs the benchmark and records the result; returns the file written.
    @discardableResult
    public func runAndRecord(clusterPaths: [String], kubeBench: [String], settingsPath: String?, now: Date = Date()) throws -> String {
        let settings = try settingsPath.map { try CISSettings.load(path: $0) } ?? CISSettings()
        let report = try CISBenchmark.run(clusterPaths: clusterPaths, kubeBench: kubeBench.map(CISBenchmark.KubeBenchFile.init(argument:)),
                                          settings: settings, date: Self.format(now, "yyyy-MM-dd"))
        return try record(CISEvidenceRecord(generated: Self.format(now, "yyyy-MM-dd'T'HH:mm:ss'Z'"), clusterPaths: clusterPaths,
                                            kubeBench: kubeBench, report: report), at: now)
    }

    /// Writes `record` to a new file (through a temporary name, so readers never see half a file).
    @discardableResult
    public func record(_ record: CISEvidenceRecord, at time: Date) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(record)
        var name = "cis-\(Self.format(time, "yyyyMMdd'T'HHmmss'Z'"))"
        var path = (directory as NSString).appendingPathComponent(name + ".json")
        var n = 1
        while FileManager.default.fileExists(atPath: path) {
            n += 1
            name = "cis-\(Self.format(time, "yyyyMMdd'T'HHmmss'Z'"))-\(n)"
            path = (directory as NSString).appendingPathComponent(name + ".json")
        }
        let temporary = (directory as NSString).appendingPathComponent(".\(name).json.partial")
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw FlowlogError(.io, "cannot write the CIS result", location: .init(file: temporary))
        }
        guard rename(temporary, path) == 0 else {
            throw FlowlogError(.io, "cannot rename the CIS result into place", location: .init(file: path), call: "rename")
        }
        return path
    }

    /// Every recorded result's file, oldest first.
    public func files() throws -> [String] {
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        // Time, then the number a second run in the same second gets (`-2`, `-3`, …).
        func key(_ name: String) -> (String, Int) {
            let stem = name.dropFirst(4).dropLast(5)
            let parts = stem.split(separator: "-")
            return (String(parts.first ?? ""), parts.count > 1 ? Int(parts[1]) ?? 0 : 1)
        }
        return try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix("cis-") && $0.hasSuffix(".json") }
            .sorted { key($0) < key($1) }
            .map { (directory as NSString).appendingPathComponent($0) }
    }

    /// Every recorded result, oldest first.
    public func records() throws -> [CISEvidenceRecord] {
        try files().map { path in
            guard let data = FileManager.default.contents(atPath: path) else {
                throw FlowlogError(.io, "cannot read the CIS result", location: .init(file: path))
            }
            do {
                return try JSONDecoder().decode(CISEvidenceRecord.self, from: data)
            } catch {
                throw FlowlogError(.parse, "not a CIS result: \(error)", location: .init(file: path))
            }
        }
    }

    static func format(_ date: Date, _ pattern: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }
}
