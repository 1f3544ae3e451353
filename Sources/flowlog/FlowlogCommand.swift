import ArgumentParser
import FlowCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct FlowlogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flowlog",
        abstract: "Packets to bidirectional flows, annotated with Calico policy verdicts, stored and queried.",
        discussion: ExitStatus.help,
        version: "flowlog \(FlowlogVersion.current)",
        subcommands: [Replay.self, Agent.self, PolicyCommand.self, SelectorCommand.self, StoreCommand.self, QueryCommand.self, ConfigCommand.self,
                      PackCommand.self, ReportCommand.self, AuditCommand.self, KeysCommand.self, VerifyCommand.self, BundleCommand.self,
                      ExportCommand.self, ClickHouseCommand.self]
    )

    /// Parses and runs like ArgumentParser's `main`, but answers every error the one way:
    /// `flowlog: error: …`, the usage of the subcommand concerned, and `ExitStatus`'s codes.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let (message, path) = CommandTree.unknownCommand(in: arguments, root: self) {
            fail(message, usageOf: path, status: .usage)
        }
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            report(error, command: nil)
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            report(error, command: type(of: command))
        }
        ExitStatus.terminate(0)
    }

    /// Prints `error` as flowlog does and exits with its status.
    static func report(_ error: Error, command: ParsableCommand.Type?) -> Never {
        if let code = error as? ExitCode { ExitStatus.terminate(code.rawValue) }
        if let failure = error as? FlowlogError {
            Diagnostics.error("\(failure)")
            ExitStatus.terminate(ExitStatus(failure).rawValue)
        }
        let code = exitCode(for: error)
        if code == .success {
            // --help, --version: ArgumentParser's text, on standard output.
            print(fullMessage(for: error))
            ExitStatus.terminate(0)
        }
        if let command, error is ValidationError {
            fail(message(for: error), usageOf: CommandTree.path(to: command, root: self), status: .usage)
        }
        var text = fullMessage(for: error)
        if text.hasPrefix("Error: ") { text = "flowlog: error: " + text.dropFirst("Error: ".count) }
        Diagnostics.write(text)
        ExitStatus.terminate(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
    }

    /// `flowlog: error: MESSAGE`, the subcommand's usage line, where to read more; then exit.
    static func fail(_ message: String, usageOf path: [ParsableCommand.Type], status: ExitStatus) -> Never {
        let names = path.map { $0._commandName }
        var text = "flowlog: error: \(message)\n"
        if let last = path.last {
            text += "Usage: \(usageString(for: last))\n"
        }
        text += "  See '\(names.joined(separator: " ")) --help' for more information.\n"
        Diagnostics.write(text)
        ExitStatus.terminate(status.rawValue)
    }
}

/// Walks the subcommand tree for names, paths and typos.
enum CommandTree {
    /// The commands from the root to `command` (just the root when it is not found).
    static func path(to command: ParsableCommand.Type, root: ParsableCommand.Type) -> [ParsableCommand.Type] {
        func search(_ node: ParsableCommand.Type, _ trail: [ParsableCommand.Type]) -> [ParsableCommand.Type]? {
            let here = trail + [node]
            if node == command { return here }
            for child in node.configuration.subcommands {
                if let found = search(child, here) { return found }
            }
            return nil
        }
        return search(root, []) ?? [root]
    }

    /// A word where a subcommand must stand that names none (`flowlog qurey`, `flowlog store inf`,
    /// `flowlog help nosuch`): the message (with the closest name) and the command it was under.
    static func unknownCommand(in arguments: [String], root: ParsableCommand.Type) -> (String, [ParsableCommand.Type])? {
        var words = arguments[...]
        // `flowlog help A B` asks for the help of `flowlog A B`: the names must exist.
        if words.first == "help" { words = words.dropFirst() }
        var trail: [ParsableCommand.Type] = [root]
        while let word = words.first, !word.hasPrefix("-") {
            let node = trail[trail.count - 1]
            let children = node.configuration.subcommands
            guard !children.isEmpty else { return nil }
            if let child = children.first(where: { $0._commandName == word }) {
                trail.append(child)
                words = words.dropFirst()
                continue
            }
            if node == root, word == "help" { return nil }
            let names = children.filter { $0.configuration.shouldDisplay }.map { $0._commandName }
            let where_ = trail.map { $0._commandName }.joined(separator: " ")
            return ("'\(word)' is not a \(where_) command\(Spelling.suggestion(for: word, among: names)) "
                    + "(commands: \(names.joined(separator: ", ")))", trail)
        }
        return nil
    }
}
