import ArgumentParser
import Audit
import FlowCore
import Query

/// `flowlog audit …`: versions of cluster objects from Kubernetes audit events.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Ingest Kubernetes audit logs and ask what the policy was, when, and who changed it.",
        discussion: """
            Objects are named as kubectl names them, qualified by API group where kinds share a \
            name: networkpolicies.networking.k8s.io/db/allow-shop, gnp/deny-all, pod/shop/frontend-1 \
            (a bare networkpolicy is Calico's; knp or netpol is Kubernetes'). See docs/audit.md.
            """,
        subcommands: [AuditIngestCommand.self, AuditQueryCommand.self, AuditHistoryCommand.self, AuditDiffCommand.self,
                      AuditStateCommand.self]
    )
}

/// `--audit DIR` and `-o FORMAT`, which every audit command takes.
struct AuditOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The audit store directory.", valueName: "dir"))
    var audit: String

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("table, json, ndjson, csv or yaml.", valueName: "format"))
    var output: String = "table"

    func format() throws -> AuditOutputFormat {
        do { return try AuditOutputFormat(parsing: output) } catch { throw ValidationError(error.description) }
    }

    func history() throws -> AuditHistory {
        try AuditHistory.load(directory: audit)
    }
}

/// An RFC 3339 time or a duration back from now (the forms `query --since` takes).
func parseAuditTime(_ text: String, option: String) throws -> Timestamp {
    do {
        return try TimeWindow.parseBound(text, now: wallClockNow(), option: option)
    } catch let error as FlowlogError {
        throw ValidationError("\(option): \(error.message)")
    }
}

func objectKey(_ text: String) throws -> ObjectKey {
    do { return try ObjectKey(parsing: text) } catch { throw ValidationError(error.description) }
}
