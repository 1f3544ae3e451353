import ArgumentParser
import Audit
import FlowCore

/// `flowlog audit state --audit DIR --at TIME -o DIR_OR_FILE`.
struct AuditStateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "The cluster's objects as they were at one instant, as manifests --cluster loads.",
        discussion: """
            -o takes a format (table lists the objects; yaml prints the manifests; json a v1 List; \
            ndjson one object a line; csv one row an object) or a path: FILE.yaml or FILE.json \
            gets every manifest in one file, anything else is a directory that gets one YAML \
            file per kind. Either path can be given to --cluster of replay, agent or policy \
            explain.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The audit store directory.", valueName: "dir"))
    var audit: String

    @Option(help: ArgumentHelp("The instant: RFC 3339 or back from now (2h, 7d); default now.", valueName: "time"))
    var at: String?

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("A format (table, json, ndjson, csv, yaml) or an output path.", valueName: "format|path"))
    var output: String = "table"

    func run() throws {
        let instant = try at.map { try parseAuditTime($0, option: "--at") } ?? wallClockNow()
        let state = try AuditHistory.load(directory: audit).state(at: instant)
        let writer = StateWriter(state: state)
        if let format = AuditOutputFormat(rawValue: output.lowercased()) {
            print(writer.render(format: format), terminator: "")
        } else {
            let written = try writer.write(to: output)
            print("\(state.objects.count) object(s) at \(instant.rfc3339) written to \(written.joined(separator: ", "))")
        }
    }
}
