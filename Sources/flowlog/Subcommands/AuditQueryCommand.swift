import ArgumentParser
import Audit
import FlowCore

/// `flowlog audit query --audit DIR [filters]`.
struct AuditQueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "List stored versions matching Linseed-style filters, in time order.",
        discussion: """
            Each filter may be repeated (values ORed); different filters are ANDed. --name and \
            --author take a trailing * for a prefix (--author 'system:node:*').
            """
    )

    @OptionGroup var options: AuditOptions

    @Option(help: ArgumentHelp("Versions from this time: RFC 3339 or back from now (15m, 2h, 7d).", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Versions before this time (same forms).", valueName: "time"))
    var until: String?

    @Option(help: ArgumentHelp("Kind or resource, kubectl style (gnp, networkpolicies.networking.k8s.io, pod).", valueName: "kind"))
    var kind: [String] = []

    @Option(help: ArgumentHelp("Namespace.", valueName: "name"))
    var namespace: [String] = []

    @Option(help: ArgumentHelp("Object name.", valueName: "name"))
    var name: [String] = []

    @Option(help: ArgumentHelp("create, update, patch or delete.", valueName: "verb"))
    var verb: [String] = []

    @Option(help: ArgumentHelp("User name of the author.", valueName: "user"))
    var author: [String] = []

    @Option(name: .customLong("response-code"), help: ArgumentHelp("HTTP status of the request (200, 201).", valueName: "code"))
    var responseCode: [Int] = []

    func run() throws {
        let format = try options.format()
        var query = AuditQuery()
        query.since = try since.map { try parseAuditTime($0, option: "--since") }
        query.until = try until.map { try parseAuditTime($0, option: "--until") }
        if let since = query.since, let until = query.until, since >= until {
            throw ValidationError("--since (\(since)) must be before --until (\(until))")
        }
        query.resources = try kind.map { text in
            guard let resource = AuditedResource.find(typeName: text) else {
                throw ValidationError("--kind: '\(text)' is not a kind flowlog keeps versions of (\(AuditedResource.all.map(\.description).joined(separator: ", ")))")
            }
            return resource
        }
        for value in verb where !["create", "update", "patch", "delete"].contains(value) {
            throw ValidationError("--verb: '\(value)' is not create, update, patch or delete")
        }
        query.namespaces = namespace
        query.names = name
        query.verbs = verb
        query.authors = author
        query.responseCodes = responseCode
        let history = try options.history()
        print(VersionListing(history: history).render(query.run(on: history), columns: .events, format: format), terminator: "")
    }
}
