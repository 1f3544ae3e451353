import ArgumentParser
import Audit
import FlowCore

/// `flowlog audit history KIND[/NAMESPACE]/NAME --audit DIR`.
struct AuditHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "The timeline of one object: version, time, verb, author and what changed."
    )

    @Argument(help: ArgumentHelp("The object: KIND/NAME or KIND/NAMESPACE/NAME.", valueName: "object"))
    var object: String

    @OptionGroup var options: AuditOptions

    func run() throws {
        let format = try options.format()
        let key = try objectKey(object)
        let history = try options.history()
        let versions = history.versions(of: key)
        guard !versions.isEmpty else { throw ValidationError("no versions of \(key) in \(options.audit)") }
        print(VersionListing(history: history).render(versions, columns: .timeline, format: format), terminator: "")
    }
}
