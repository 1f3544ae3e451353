import ArgumentParser
import FlowCore
import Foundation
import Reports

/// `flowlog report show ID --data DIR [--file NAME]`: one archived report.
struct ReportShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show an archived report: its interval, files and summary, or one of its files.",
        discussion: ExitStatus.help
    )

    @Argument(help: "The report's id (as `flowlog report list` prints it).")
    var id: String

    @Option(name: .long, help: ArgumentHelp("The agent's data directory.", valueName: "dir"))
    var data: String

    @Option(name: .long, help: ArgumentHelp("Print this file of the report as it is (summary.csv, report.json, …).", valueName: "name"))
    var file: String?

    func run() throws {
        let report = try ReportArchive(dataDirectory: data).report(id: id)
        if let file {
            guard report.files.contains(file) else {
                throw FlowlogError(.fileNotFound, "the report has no file '\(file)'; it has \(report.files.joined(separator: ", "))",
                                   location: .init(field: "--file"))
            }
            let path = (report.directory as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw FlowlogError(.io, "cannot read the file", location: .init(file: path))
            }
            FileHandle.standardOutput.write(data)
            return
        }
        print("id         \(report.id)")
        print("report     \(report.name) (\(report.type.rawValue))")
        print("interval   \(report.start.wholeSecondsRFC3339) to \(report.end.wholeSecondsRFC3339)")
        print("written    \(report.written.wholeSecondsRFC3339)")
        print("directory  \(report.directory)")
        print("files      \(report.files.joined(separator: ", "))")
        let summaryFile = report.type == .cisBenchmark ? "total-summary.csv" : "summary.csv"
        let summary = (try? String(contentsOfFile: (report.directory as NSString).appendingPathComponent(summaryFile), encoding: .utf8)) ?? ""
        let lines = summary.split(separator: "\n")
        guard lines.count >= 2 else { return }
        print("summary (\(summaryFile)):")
        // Scope columns are plain text without commas except in selectors, which are quoted.
        let header = Self.cells(String(lines[0])), values = Self.cells(String(lines[1]))
        let width = header.map(\.count).max() ?? 0
        for (name, value) in zip(header, values) where !value.isEmpty {
            print("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
        }
    }

    /// One CSV line's cells (RFC 4180 quoting).
    static func cells(_ line: String) -> [String] {
        var out: [String] = [], cell = "", quoted = false
        var chars = line.makeIterator()
        while let c = chars.next() {
            if quoted {
                if c == "\"" {
                    if let next = chars.next() {
                        if next == "\"" { cell.append("\"") } else { quoted = false; if next == "," { out.append(cell); cell = "" } else { cell.append(next) } }
                    } else { quoted = false }
                } else { cell.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { out.append(cell); cell = "" } else { cell.append(c) }
        }
        out.append(cell)
        return out
    }
}
