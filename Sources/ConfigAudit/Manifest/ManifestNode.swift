import FlowCore
import Yams

/// A YAML/JSON node with where it came from (file, line:column, field path, the object it
/// belongs to). Typed reads report a wrong type into `ManifestProblems` and read as absent, so
/// one run lists every problem of a file.
public struct ManifestNode {
    let node: Node
    public let path: String
    public let file: String
    /// `Kind namespace/name`, for messages.
    public var object: String
    let problems: ManifestProblems

    init(node: Node, path: String, file: String, object: String, problems: ManifestProblems) {
        self.node = node
        self.path = path
        self.file = file
        self.object = object
        self.problems = problems
    }

    public var location: FlowlogError.Location {
        FlowlogError.Location(file: file, line: node.mark?.line, column: node.mark?.column, field: path.isEmpty ? nil : path)
    }

    public func error(_ message: String) {
        problems.add(FlowlogError(.validation, object.isEmpty ? message : "\(object): \(message)", location: location))
    }

    public var isMapping: Bool { node.mapping != nil }
    public var isNull: Bool { Self.isNull(node) }

    /// The child at `key`; nil when absent or null (the API server treats both alike).
    public func child(_ key: String) -> ManifestNode? {
        guard case .mapping(let mapping) = node, let value = Self.value(of: key, in: mapping), !Self.isNull(value) else { return nil }
        return ManifestNode(node: value, path: path.isEmpty ? key : "\(path).\(key)", file: file, object: object, problems: problems)
    }

    /// The keys of a mapping with non-null values, in document order.
    public var keys: [String] {
        guard case .mapping(let mapping) = node else { return [] }
        return mapping.compactMap { key, value in
            guard case .scalar(let s) = key, !Self.isNull(value) else { return nil }
            return s.string
        }
    }

    // MARK: - Typed reads

    public var text: String? {
        guard case .scalar(let s) = node else {
            error("expected a string")
            return nil
        }
        return s.string
    }

    public func string(_ key: String) -> String? { child(key)?.text }

    /// Booleans as Kubernetes' YAML decoder reads them (YAML 1.1 plain scalars); a quoted value is a string.
    public func bool(_ key: String) -> Bool? {
        guard let c = child(key) else { return nil }
        guard case .scalar(let s) = c.node else {
            c.error("expected true or false")
            return nil
        }
        if s.style == .plain {
            switch s.string {
            case "true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "on", "On", "ON": return true
            case "false", "False", "FALSE", "no", "No", "NO", "n", "N", "off", "Off", "OFF": return false
            default: break
            }
        }
        c.error("expected true or false, found '\(s.string)'")
        return nil
    }

    public func integer(_ key: String, in range: ClosedRange<Int64>) -> Int64? {
        guard let c = child(key) else { return nil }
        guard case .scalar(let s) = c.node, s.style == .plain else {
            c.error("expected an integer")
            return nil
        }
        guard let value = Int64(s.string), range.contains(value) else {
            c.error("'\(s.string)' is not an integer in \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return value
    }

    public func list(_ key: String) -> [ManifestNode] {
        guard let c = child(key) else { return [] }
        guard case .sequence(let sequence) = c.node else {
            c.error("expected a list")
            return []
        }
        return sequence.enumerated().map { index, element in
            ManifestNode(node: element, path: "\(c.path)[\(index)]", file: file, object: object, problems: problems)
        }
    }

    public func stringList(_ key: String) -> [String] { list(key).compactMap(\.text) }

    /// A `string: string` map such as labels or annotations.
    public func stringMap(_ key: String) -> [String: String] {
        guard let c = child(key) else { return [:] }
        guard case .mapping(let mapping) = c.node else {
            c.error("expected a map of strings")
            return [:]
        }
        var out: [String: String] = [:]
        for (k, v) in mapping {
            guard case .scalar(let ks) = k else {
                c.error("expected string keys")
                continue
            }
            if Self.isNull(v) {
                out[ks.string] = ""
            } else if case .scalar(let vs) = v {
                out[ks.string] = vs.string
            } else {
                c.error("the value of '\(ks.string)' must be a string")
            }
        }
        return out
    }

    /// A mapping child that must be a map when present.
    public func object(_ key: String) -> ManifestNode? {
        guard let c = child(key) else { return nil }
        guard c.isMapping else {
            c.error("expected a map")
            return nil
        }
        return c
    }

    // MARK: - Node helpers

    static func value(of key: String, in mapping: Node.Mapping) -> Node? {
        var index = mapping.endIndex
        while index > mapping.startIndex {
            index -= 1
            let (candidate, value) = mapping[index]
            if case .scalar(let scalar) = candidate, scalar.string == key { return value }
        }
        return nil
    }

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let s) = node, s.style == .plain else { return false }
        return s.string.isEmpty || s.string == "~" || s.string == "null" || s.string == "Null" || s.string == "NULL"
    }
}

/// Problems found while reading manifests, in the order found. A reference type so every
/// `ManifestNode` of one read shares it; one read runs on one thread.
public final class ManifestProblems {
    public private(set) var errors: [FlowlogError] = []

    public init() {}

    public func add(_ error: FlowlogError) { errors.append(error) }
}

extension ManifestNode {
    /// The elements of a top-level list; a non-list is reported and reads as empty.
    public var sequenceElements: [ManifestNode] {
        guard case .sequence(let sequence) = node else {
            error("expected a list")
            return []
        }
        return sequence.enumerated().map { index, element in
            ManifestNode(node: element, path: "\(path)[\(index)]", file: file, object: object, problems: problems)
        }
    }
}
