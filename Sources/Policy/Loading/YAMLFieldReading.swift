import FlowCore
import Yams

/// Reading a configuration file's YAML nodes key by key, shared by the agent's configuration
/// and the SIEM exporter's (which also sits in the agent's file, under `export.siem`), so both
/// check keys and scalars the same way and every error names the file, line:column and field
/// (`store.segment-size`, `sinks[1].transport`).
///
/// A reader adopts it by naming its `file`; everything else comes from the extension.
public protocol YAMLFieldReading {
    /// The file in error locations; nil for text that came from elsewhere.
    var file: String? { get }
}

extension YAMLFieldReading {
    /// A Yams syntax error as a located `FlowlogError`.
    public static func syntaxError(_ error: YamlError, file: String?) -> FlowlogError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return FlowlogError(.parse, "YAML syntax: \(problem)", location: .init(file: file, line: mark.line, column: mark.column))
        case .reader(let problem, let offset, _, _):
            return FlowlogError(.parse, "YAML: \(problem)", location: .init(file: file, offset: offset.map { UInt64($0) }))
        default:
            return FlowlogError(.parse, "YAML: \(error)", location: .init(file: file))
        }
    }

    /// A validation error at `node` (its line and column); an empty `field` is the document's root.
    public func failure(_ message: String, at node: Node?, field: String) -> FlowlogError {
        FlowlogError(.validation, message, location: .init(file: file, line: node?.mark?.line, column: node?.mark?.column,
                                                           field: field.isEmpty ? nil : field))
    }

    /// `field.key`, or `key` at the root.
    public func join(_ field: String, _ key: String) -> String { field.isEmpty ? key : field + "." + key }

    /// The pairs of a mapping in file order, each with its field path; unknown, repeated and
    /// empty keys are errors at the key.
    public func entries(of node: Node, field: String, known: [String]) throws -> [(key: String, value: Node, field: String)] {
        guard case .mapping(let mapping) = node else {
            throw failure("expected a mapping of keys (\(known.joined(separator: ", ")))", at: node, field: field)
        }
        var seen = Set<String>()
        var result: [(key: String, value: Node, field: String)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else { throw failure("a key must be plain text", at: keyNode, field: field) }
            let key = scalar.string
            // An empty key has no field name to give; its line and column say where it is.
            guard !key.isEmpty else {
                throw failure("an empty key; known keys here: \(known.joined(separator: ", "))", at: keyNode, field: field)
            }
            let path = join(field, key)
            guard known.contains(key) else {
                throw failure("unknown key '\(key)'\(Spelling.suggestion(for: key, among: known)); known keys here: \(known.joined(separator: ", "))",
                              at: keyNode, field: path)
            }
            guard seen.insert(key).inserted else { throw failure("'\(key)' appears twice", at: keyNode, field: path) }
            result.append((key, value, path))
        }
        return result
    }

    /// `~`, `null` or nothing, written plain (a quoted "null" is text).
    public func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && ["~", "null", "Null", "NULL", ""].contains(scalar.string)
    }

    public func text(_ node: Node, field: String) throws -> String {
        guard case .scalar(let scalar) = node, !isNull(node) else { throw failure("expected a single value", at: node, field: field) }
        return scalar.string
    }

    public func optionalText(_ node: Node, field: String) throws -> String? { isNull(node) ? nil : try text(node, field: field) }

    public func bool(_ node: Node, field: String) throws -> Bool {
        let value = try text(node, field: field)
        switch value.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw failure("'\(value)' is not true or false", at: node, field: field)
        }
    }

    public func integer(_ node: Node, field: String, minimum: Int) throws -> Int {
        let value = try text(node, field: field)
        guard let number = Int(value.filter { $0 != "_" }) else { throw failure("'\(value)' is not a whole number", at: node, field: field) }
        guard number >= minimum else { throw failure("\(number) is below the minimum of \(minimum)", at: node, field: field) }
        return number
    }

    public func duration(_ node: Node, field: String, allowZero: Bool = false) throws -> Duration {
        let value = try text(node, field: field)
        guard let duration = DurationText.parse(value) else {
            throw failure("'\(value)' is not a duration (like 500ms, 30s, 5m, 1h, 7d)", at: node, field: field)
        }
        guard allowZero || duration > .zero else { throw failure("the duration must be longer than zero", at: node, field: field) }
        return duration
    }

    public func byteSize(_ node: Node, field: String, minimum: Int = 0) throws -> Int {
        let value = try text(node, field: field)
        guard let size = ByteSizeText.parse(value) else {
            throw failure("'\(value)' is not a size in bytes (like \(ByteSizeText.examples))", at: node, field: field)
        }
        guard size >= minimum else { throw failure("\(value) is below the minimum of \(minimum) bytes", at: node, field: field) }
        return size
    }

    /// A list of values; a single value is a list of one, null an empty list.
    public func strings(_ node: Node, field: String) throws -> [String] {
        switch node {
        case .sequence(let sequence): return try sequence.map { try text($0, field: field) }
        case .scalar: return isNull(node) ? [] : [try text(node, field: field)]
        default: throw failure("expected a list of values", at: node, field: field)
        }
    }

    /// One of `choices` by name, case-insensitively.
    public func choice<Value>(_ node: Node, field: String, _ choices: [(String, Value)]) throws -> Value {
        let value = try text(node, field: field)
        guard let match = choices.first(where: { $0.0 == value.lowercased() }) else {
            throw failure("'\(value)' is not one of: \(choices.map(\.0).joined(separator: ", "))", at: node, field: field)
        }
        return match.1
    }
}
