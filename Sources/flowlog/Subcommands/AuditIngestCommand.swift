#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Audit
import Evidence
import FlowCore

/// `flowlog audit ingest FILE… --audit DIR`.
struct AuditIngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Store the policy-relevant changes in kube-apiserver audit log files (idempotent).",
        discussion: """
            Reads audit.k8s.io/v1 Events, one per line, as --audit-log-path writes them. Kept: \
            create, update, patch and delete at stage ResponseComplete with a 2xx status and no \
            dry run, for Calico policy kinds, tiers, network sets, host endpoints, Kubernetes \
            NetworkPolicies, namespaces, pods (pods/status too), service accounts and services. \
            Events already stored (same auditID) add nothing. Bad lines are reported with \
            file:line:column and the reason and never stop the ingest. Exit status: 0 ingested \
            (bad lines included), 1 an unreadable file or store.
            """
    )

    @Argument(help: ArgumentHelp("Audit log files.", valueName: "file"))
    var files: [String]

    @OptionGroup var options: AuditOptions

    @Option(name: .customLong("signing-key"), help: ArgumentHelp("Ed25519 private key: sign every sealed audit file into AUDIT/evidence.", valueName: "file"))
    var signingKey: String?

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one audit log file") }
    }

    func run() throws {
        let format = try options.format()
        let recorder = try signingKey.map { try EvidenceRecorder(store: .audit, directory: options.audit, signingKeyPath: $0) }
        let store = try AuditStore(directory: options.audit, observer: recorder)
        let report: AuditIngest.Report
        do {
            report = try AuditIngest.ingest(files: files, into: store)
            try store.close()
            try recorder?.close()
        } catch {
            try? store.close()
            throw error
        }
        for bad in report.badLines { Diagnostics.warning("\(bad)") }
        if report.badLineCount > report.badLines.count {
            Diagnostics.warning("\(report.badLineCount - report.badLines.count) more bad line(s) not listed")
        }
        print(AuditIngestReport.render(report, format: format), terminator: "")
    }
}
