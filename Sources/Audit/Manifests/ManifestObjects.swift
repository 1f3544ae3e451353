import FlowCore
import Foundation
import Yams

/// The versioned objects in manifest files (what the agent loads with `--cluster`), as JSON
/// values: so the agent's own reloads become versions beside the API server's.
public enum ManifestObjects {
    /// Deeper YAML is refused rather than recursed into.
    static let maximumDepth = 128

    public struct Entry: Sendable {
        public var path: String
        public var key: ObjectKey
        public var object: JSONValue
    }

    /// Every object of a versioned kind in `paths` (files, or directories read recursively for
    /// `.yaml`, `.yml` and `.json`), `kind: List` items included. Throws naming the file.
    public static func read(paths: [String]) throws -> [Entry] {
        var entries: [Entry] = []
        for file in try expand(paths) {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw FlowlogError(.io, "cannot read the file as UTF-8 text", location: .init(file: file))
            }
            do {
                let parser = try Parser(yaml: text, resolver: .default)
                while let document = try parser.nextRoot() {
                    let value = try json(document, depth: 0)
                    collect(value, file: file, into: &entries)
                }
            } catch let error as FlowlogError {
                throw FlowlogError(error.code, error.message, location: .init(file: file))
            } catch {
                throw FlowlogError(.parse, "YAML/JSON: \(error)", location: .init(file: file))
            }
        }
        return entries
    }

    static func collect(_ value: JSONValue, file: String, into entries: inout [Entry]) {
        if value["kind"]?.stringValue?.hasSuffix("List") == true, let items = value["items"]?.arrayValue {
            for item in items { collect(item, file: file, into: &entries) }
            return
        }
        guard let apiVersion = value["apiVersion"]?.stringValue, let kind = value["kind"]?.stringValue,
              let resource = AuditedResource.find(apiVersion: apiVersion, kind: kind),
              let name = value.value(at: "metadata.name")?.stringValue else { return }
        let namespace = value.value(at: "metadata.namespace")?.stringValue ?? (resource.namespaced ? "default" : "")
        entries.append(Entry(path: file, key: ObjectKey(resource: resource, namespace: namespace, name: name), object: value))
    }

    static func json(_ node: Node, depth: Int) throws -> JSONValue {
        guard depth < maximumDepth else {
            throw FlowlogError(.parse, "nested deeper than \(maximumDepth) levels")
        }
        switch node {
        case .mapping(let mapping):
            return .object(try mapping.map { key, value in JSONMember(key.string ?? "", try json(value, depth: depth + 1)) })
        case .sequence(let sequence):
            return .array(try sequence.map { try json($0, depth: depth + 1) })
        case .scalar(let scalar):
            switch node.tag.description {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return .bool(node.bool ?? false)
            case Tag.Name.int.rawValue: return node.int.map { .number(String($0)) } ?? .string(scalar.string)
            case Tag.Name.float.rawValue:
                if let value = node.float, value.isFinite { return .number(String(value)) }
                return .string(scalar.string)
            default: return .string(scalar.string)
            }
        }
    }

    static func expand(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw FlowlogError(.fileNotFound, "no such file or directory", location: .init(file: path))
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            var found: [String] = []
            if let walker = manager.enumerator(atPath: path) {
                for case let relative as String in walker {
                    let lower = relative.lowercased()
                    guard lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") || lower.hasSuffix(".json") else { continue }
                    let full = (path as NSString).appendingPathComponent(relative)
                    var sub: ObjCBool = false
                    if manager.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue { found.append(full) }
                }
            }
            files += found.sorted()
        }
        return files
    }
}
