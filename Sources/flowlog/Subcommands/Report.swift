import ArgumentParser

/// `flowlog report …`: compliance reports (Calico GlobalReport-compatible).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Compliance reports: which workloads are protected, what traffic was allowed (CSV, JSON, HTML).",
        subcommands: [ReportRun.self, ReportList.self, ReportShow.self]
    )
}
