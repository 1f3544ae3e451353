import ArgumentParser
import FlowCore
import Reports

/// `flowlog report list --data DIR`: the reports the agent archived.
struct ReportList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the reports archived under DATA/reports, oldest interval first.",
        discussion: ExitStatus.help
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Option(name: .long, help: ArgumentHelp("The agent's data directory (reports are in DATA/reports).", valueName: "dir"))
    var data: String

    @Option(name: [.customShort("o"), .customLong("output")], help: "table or json.")
    var format: Format = .table

    func run() throws {
        let reports = try ReportArchive(dataDirectory: data).list()
        switch format {
        case .json:
            print("[" + reports.map { r in
                "{\"id\":\(JSONText.string(r.id)),\"name\":\(JSONText.string(r.name)),\"type\":\(JSONText.string(r.type.rawValue)),"
                    + "\"startTime\":\(JSONText.string(r.start.wholeSecondsRFC3339)),\"endTime\":\(JSONText.string(r.end.wholeSecondsRFC3339)),"
                    + "\"written\":\(JSONText.string(r.written.wholeSecondsRFC3339)),\"directory\":\(JSONText.string(r.directory))}"
            }.joined(separator: ",\n") + "]")
        case .table:
            let rows = [["ID", "TYPE", "START", "END", "WRITTEN"]]
                + reports.map { [$0.id, $0.type.rawValue, $0.start.wholeSecondsRFC3339, $0.end.wholeSecondsRFC3339, $0.written.wholeSecondsRFC3339] }
            let widths = (0..<5).map { c in rows.map { $0[c].count }.max() ?? 0 }
            for row in rows {
                print(row.enumerated().map { c, cell in c == 4 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                    .joined(separator: "  "))
            }
            if reports.isEmpty { Diagnostics.note("no reports under \(ReportArchive(dataDirectory: data).directory)") }
        }
    }
}
