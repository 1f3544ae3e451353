import FlowCore
import Foundation
import Yams

/// A YAML/JSON node with where it came from: the file, the resource it belongs to and the field
/// path, so every error can say file:line, resource and field.
package struct ManifestField {
    package let node: Node
    package let path: String
    package let file: String
    /// `Kind namespace/name` (or `Kind name`).
    package var resource: String
    package let diagnostics: LoadDiagnostics

    package init(node: Node, path: String, file: String, resource: String, diagnostics: LoadDiagnostics) {
        self.node = node
        self.path = path
        self.file = file
        self.resource = resource
        self.diagnostics = diagnostics
    }

    package func child(_ key: String) -> ManifestField? {
        guard case .mapping(let mapping) = node, let value = ManifestField.value(of: key, in: mapping) else { return nil }
        if ManifestField.isNull(value) { return nil }
        return ManifestField(node: value, path: path.isEmpty ? key : "\(path).\(key)", file: file, resource: resource, diagnostics: diagnostics)
    }

    package var location: FlowlogError.Location {
        FlowlogError.Location(file: file, line: node.mark?.line, column: node.mark?.column, field: path.isEmpty ? nil : path)
    }

    package func error(_ message: String) {
        diagnostics.errors.append(FlowlogError(.validation, "\(resource): \(message)", location: location))
    }

    package func warning(_ message: String) {
        diagnostics.warnings.append(FlowlogError(.validation, "\(resource): \(message)", location: location))
    }

    package var isMapping: Bool { node.mapping != nil }

    // MARK: - Typed reads (a wrong type is reported and read as absent)

    package var scalarText: String? {
        guard case .scalar(let s) = node else {
            error("expected a scalar value")
            return nil
        }
        return s.string
    }

    package func string(_ key: String) -> String? { child(key)?.scalarText }

    package func requiredString(_ key: String) -> String? {
        guard let c = child(key) else {
            error("missing required field \(path.isEmpty ? key : "\(path).\(key)")")
            return nil
        }
        guard let text = c.scalarText, !text.isEmpty else {
            c.error("must not be empty")
            return nil
        }
        return text
    }

    package func double(_ key: String) -> Double? {
        guard let c = child(key), let text = c.scalarText else { return nil }
        guard let v = Double(text), v.isFinite else {
            c.error("'\(text)' is not a number")
            return nil
        }
        return v
    }

    package func integer(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let c = child(key), let text = c.scalarText else { return nil }
        guard let v = Int(text), range.contains(v) else {
            c.error("'\(text)' is not an integer in \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return v
    }

    package func list(_ key: String) -> [ManifestField] {
        guard let c = child(key) else { return [] }
        guard case .sequence(let seq) = c.node else {
            c.error("expected a list")
            return []
        }
        return seq.enumerated().map { i, n in
            ManifestField(node: n, path: "\(c.path)[\(i)]", file: file, resource: resource, diagnostics: diagnostics)
        }
    }

    package func stringList(_ key: String) -> [String] { list(key).compactMap(\.scalarText) }

    /// A `string: string` map such as `labels`.
    package func stringMap(_ key: String) -> [String: String] {
        guard let c = child(key) else { return [:] }
        guard case .mapping(let m) = c.node else {
            c.error("expected a map of strings")
            return [:]
        }
        var out: [String: String] = [:]
        for (k, v) in m {
            guard case .scalar(let ks) = k, case .scalar(let vs) = v else {
                c.error("expected string keys and values")
                continue
            }
            out[ks.string] = ManifestField.isNull(v) ? "" : vs.string
        }
        return out
    }

    /// A selector field, parsed; a parse error names the field and the column in the selector.
    /// Calico's limit on selector length; `global()` only means something in a rule's
    /// namespaceSelector and is rejected elsewhere, as Calico's validation does.
    package func selector(_ key: String, allowsGlobal: Bool = false) -> Selector? {
        guard let c = child(key), let text = c.scalarText else { return nil }
        if text.utf8.count > 1024 {
            c.error("selector is \(text.utf8.count) bytes long; at most 1024 are allowed")
            return nil
        }
        do {
            let parsed = try Selector(parsing: text)
            if !allowsGlobal, parsed.usesGlobal {
                c.error("global() is only valid in a rule's namespaceSelector")
                return nil
            }
            return parsed
        } catch let e as FlowlogError {
            let column = e.location?.column.map { " (column \($0) of the selector)" } ?? ""
            c.error("invalid selector '\(text)'\(column): \(e.message)")
            return nil
        } catch {
            c.error("invalid selector '\(text)'")
            return nil
        }
    }
}

extension ManifestField {
    /// The value of the last key spelled `key`, as Yams' `mapping[key]` finds it, without
    /// building a probe node and resolving tags for every comparison (that resolution ran
    /// regular expressions and was most of the loading time). A plain or quoted key matches;
    /// an explicitly tagged one only as `!!str` or `!`, which is what Yams' comparison of
    /// resolved tags gives for field names (none of them reads as a number, bool or null).
    package static func value(of key: String, in mapping: Node.Mapping) -> Node? {
        var index = mapping.endIndex
        while index > mapping.startIndex {
            index -= 1
            let (candidate, value) = mapping[index]
            guard case .scalar(let scalar) = candidate, scalar.string == key else { continue }
            switch scalar.tag.description {
            case Tag.Name.implicit.rawValue, Tag.Name.nonSpecific.rawValue, Tag.Name.str.rawValue: return value
            default: continue
            }
        }
        return nil
    }

    /// `~`, `null` or an empty value.
    package static func isNull(_ node: Node) -> Bool {
        guard case .scalar = node else { return false }
        return node.null != nil
    }
}
