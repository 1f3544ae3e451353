import ArgumentParser
import FlowCore
import Policy

/// `flowlog selector eval|canon`: try Calico selectors without a cluster.
struct SelectorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selector",
        abstract: "Evaluate or canonicalise a Calico label selector.",
        subcommands: [SelectorEvalCommand.self, SelectorCanonCommand.self]
    )
}

struct SelectorEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Print true or false: does SELECTOR select an endpoint with these labels?"
    )

    @Argument(help: "The selector, e.g. \"app == 'web' && has(tier)\".")
    var selector: String

    @Option(name: .long, help: "Labels as k=v,k2=v2 (repeatable; a value may contain '=').")
    var labels: [String] = []

    func run() throws {
        let parsed = try parseSelectorOrExit(selector)
        var map: [String: String] = [:]
        for group in labels {
            for pair in group.split(separator: ",", omittingEmptySubsequences: true) {
                guard let eq = pair.firstIndex(of: "=") else {
                    throw ValidationError("--labels: '\(pair)' is not k=v")
                }
                map[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
            }
        }
        print(parsed.matches(map) ? "true" : "false")
    }
}

struct SelectorCanonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canon",
        abstract: "Print the canonical form of SELECTOR and its UID."
    )

    @Argument(help: "The selector.")
    var selector: String

    func run() throws {
        let parsed = try parseSelectorOrExit(selector)
        print(parsed.canonical)
        print(parsed.uid)
    }
}

/// Prints the parse error with a caret under the column and exits with the bad-input status.
func parseSelectorOrExit(_ text: String) throws -> Selector {
    do {
        return try Selector(parsing: text)
    } catch let error as FlowlogError {
        var message = "flowlog: error: \(error)\n  \(text)\n"
        if let column = error.location?.column {
            message += "  " + String(repeating: " ", count: max(column - 1, 0)) + "^\n"
        }
        Diagnostics.write(message)
        throw ExitStatus.badInput.exitCode
    }
}
