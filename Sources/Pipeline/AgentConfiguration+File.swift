import FlowCore
import FlowRing
import Foundation
import Logging
import Policy
import Yams

extension AgentConfiguration {
    /// Reads a configuration file. Every key is optional; unknown keys and bad values are errors
    /// that name the file, the line and the field (`store.segment-size`).
    public static func load(contentsOf path: String) throws -> AgentConfiguration {
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw FlowlogError(.parse, "the configuration file is not UTF-8 text", location: .init(file: path))
            }
            text = decoded
        } catch let error as FlowlogError {
            throw error
        } catch {
            let code: FlowlogError.Code = FileManager.default.fileExists(atPath: path) ? .io : .fileNotFound
            throw FlowlogError(code, "cannot read the configuration file", location: .init(file: path))
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses configuration text; `file` is only used in error locations.
    public static func parse(yaml text: String, file: String? = nil) throws -> AgentConfiguration {
        let root: Node?
        // Depth, aliases and size before Yams (which recurses per level); duplicate keys are
        // the reader's own error below, with the field.
        _ = try YAMLPrecheck.check(text, file: file)
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigurationReader.syntaxError(error, file: file)
        }
        var configuration = AgentConfiguration()
        guard let root else { return configuration }  // an empty file: all defaults
        let reader = ConfigurationReader(file: file)
        try reader.read(root, into: &configuration)
        configuration.export.siem?.text = text
        return configuration
    }
}

/// Walks the YAML node tree, checking every key against the known ones.
struct ConfigurationReader {
    let file: String?

    static func syntaxError(_ error: YamlError, file: String?) -> FlowlogError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return FlowlogError(
                .parse, "YAML syntax: \(problem)",
                location: .init(file: file, line: mark.line, column: mark.column))
        case .reader(let problem, let offset, _, _):
            return FlowlogError(
                .parse, "YAML: \(problem)", location: .init(file: file, offset: offset.map { UInt64($0) }))
        default:
            return FlowlogError(.parse, "YAML: \(error)", location: .init(file: file))
        }
    }

    func failure(_ message: String, at node: Node, field: String) -> FlowlogError {
        FlowlogError(
            .validation, message,
            location: .init(file: file, line: node.mark?.line, column: node.mark?.column, field: field))
    }

    /// The pairs of a mapping, with unknown and repeated keys rejected.
    func entries(of node: Node, field: String, known: [String]) throws -> [(key: String, value: Node, field: String)] {
        guard case .mapping(let mapping) = node else {
            throw failure("expected a mapping of keys (\(known.joined(separator: ", ")))", at: node, field: field)
        }
        var seen = Set<String>()
        var result: [(key: String, value: Node, field: String)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                throw failure("a key must be plain text", at: keyNode, field: field)
            }
            let key = scalar.string
            let path = field.isEmpty ? key : "\(field).\(key)"
            guard known.contains(key) else {
                throw failure(
                    "unknown key '\(key)'; known keys here: \(known.joined(separator: ", "))", at: keyNode, field: path)
            }
            guard seen.insert(key).inserted else {
                throw failure("'\(key)' appears twice", at: keyNode, field: path)
            }
            result.append((key, value, path))
        }
        return result
    }

    // MARK: Scalars

    func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && ["~", "null", "Null", "NULL", ""].contains(scalar.string)
    }

    func text(_ node: Node, field: String) throws -> String {
        guard case .scalar(let scalar) = node, !isNull(node) else {
            throw failure("expected a single value", at: node, field: field)
        }
        return scalar.string
    }

    func optionalText(_ node: Node, field: String) throws -> String? {
        isNull(node) ? nil : try text(node, field: field)
    }

    func bool(_ node: Node, field: String) throws -> Bool {
        let value = try text(node, field: field)
        switch value.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw failure("'\(value)' is not true or false", at: node, field: field)
        }
    }

    func integer(_ node: Node, field: String, minimum: Int) throws -> Int {
        let value = try text(node, field: field)
        guard let number = Int(value.filter { $0 != "_" }) else {
            throw failure("'\(value)' is not a whole number", at: node, field: field)
        }
        guard number >= minimum else {
            throw failure("\(number) is below the minimum of \(minimum)", at: node, field: field)
        }
        return number
    }

    func duration(_ node: Node, field: String, allowZero: Bool = false) throws -> Duration {
        let value = try text(node, field: field)
        guard let duration = ConfigurationValue.duration(value) else {
            throw failure("'\(value)' is not a duration (like 500ms, 30s, 5m, 1h, 7d)", at: node, field: field)
        }
        guard allowZero || duration > .zero else {
            throw failure("the duration must be longer than zero", at: node, field: field)
        }
        return duration
    }

    func byteSize(_ node: Node, field: String, minimum: Int = 0) throws -> Int {
        let value = try text(node, field: field)
        guard let size = ConfigurationValue.byteSize(value) else {
            throw failure("'\(value)' is not a size in bytes (like 4096, 64KiB, 16MiB, 10GB)", at: node, field: field)
        }
        guard size >= minimum else {
            throw failure("\(value) is below the minimum of \(minimum) bytes", at: node, field: field)
        }
        return size
    }

    /// A list of strings; a single value is taken as a list of one.
    func strings(_ node: Node, field: String) throws -> [String] {
        switch node {
        case .sequence(let sequence):
            return try sequence.map { try text($0, field: field) }
        case .scalar:
            return isNull(node) ? [] : [try text(node, field: field)]
        default:
            throw failure("expected a list of values", at: node, field: field)
        }
    }

    func choice<Value>(_ node: Node, field: String, _ choices: [(String, Value)]) throws -> Value {
        let value = try text(node, field: field)
        guard let match = choices.first(where: { $0.0 == value.lowercased() }) else {
            throw failure(
                "'\(value)' is not one of: \(choices.map(\.0).joined(separator: ", "))", at: node, field: field)
        }
        return match.1
    }
}
