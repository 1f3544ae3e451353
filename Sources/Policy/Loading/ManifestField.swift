import FlowCore
import Foundation

/// A YAML/JSON node with where it came from: the file, the resource it belongs to and the field
/// path, so every error can say file:line, resource and field.
package struct ManifestField {
    package let node: ManifestNode
    package let path: String
    package let file: String
    /// `Kind namespace/name` (or `Kind name`).
    package var resource: String
    package let diagnostics: LoadDiagnostics

    package init(node: ManifestNode, path: String, file: String, resource: String, diagnostics: LoadDiagnostics) {
        self.node = node
        self.path = path
        self.file = file
        self.resource = resource
        self.diagnostics = diagnostics
    }

    package func child(_ key: String) -> ManifestField? {
        guard let value = node.value(of: key) else { return nil }
        if value.isNull { return nil }
        return ManifestField(node: value, path: path.isEmpty ? key : "\(path).\(key)", file: file, resource: resource, diagnostics: diagnostics)
    }

    package var location: FlowlogError.Location {
        FlowlogError.Location(file: file, line: node.line, column: node.column, field: path.isEmpty ? nil : path)
    }

    package func error(_ message: String) {
        diagnostics.errors.append(FlowlogError(.validation, "\(resource): \(message)", location: location))
    }

    package func warning(_ message: String) {
        diagnostics.warnings.append(FlowlogError(.validation, "\(resource): \(message)", location: location))
    }

    package var isMapping: Bool { node.isMapping }

    // MARK: - Typed reads (a wrong type is reported and read as absent)

    package var scalarText: String? {
        guard let text = node.scalarText else {
            error("expected a scalar value")
            return nil
        }
        return text
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
        guard c.node.isSequence else {
            c.error("expected a list")
            return []
        }
        return c.node.children.enumerated().map { i, n in
            ManifestField(node: n, path: "\(c.path)[\(i)]", file: file, resource: resource, diagnostics: diagnostics)
        }
    }

    package func stringList(_ key: String) -> [String] { list(key).compactMap(\.scalarText) }

    /// A `string: string` map such as `labels`.
    package func stringMap(_ key: String) -> [String: String] {
        guard let c = child(key) else { return [:] }
        guard c.node.isMapping else {
            c.error("expected a map of strings")
            return [:]
        }
        var out: [String: String] = [:]
        for (k, v) in c.node.pairs {
            guard let key = k.scalarText, let value = v.scalarText else {
                c.error("expected string keys and values")
                continue
            }
            out[key] = v.isNull ? "" : value
        }
        return out
    }

    /// A label map, bounded as Kubernetes validates labels (an object the API server would
    /// refuse is never a real cluster's): a key is an optional prefix of at most 253 bytes and
    /// `/`, then a name of 1…63 bytes; a value at most 63 bytes. Without the bound one label could
    /// carry most of a 256 MiB file into every store block that names its endpoint.
    package func labels(_ key: String) -> [String: String] {
        let map = stringMap(key)
        guard let c = child(key), c.node.isMapping else { return map }
        for (k, v) in c.node.pairs {
            guard let keyText = k.scalarText, let valueText = v.scalarText else { continue }
            let entry = ManifestField(node: k, path: "\(c.path).\(Self.shortened(keyText))", file: file, resource: resource, diagnostics: diagnostics)
            if let problem = Self.labelKeyProblem(keyText) { entry.error(problem) }
            let value = v.isNull ? "" : valueText
            if value.utf8.count > Self.maximumLabelValueBytes {
                entry.error("label value is \(value.utf8.count) bytes long; Kubernetes allows at most \(Self.maximumLabelValueBytes)")
            }
        }
        return map
    }

    static let maximumLabelNameBytes = 63
    static let maximumLabelPrefixBytes = 253
    static let maximumLabelValueBytes = 63

    static func labelKeyProblem(_ key: String) -> String? {
        let bytes = Array(key.utf8)
        let slash = bytes.lastIndex(of: UInt8(ascii: "/"))
        let nameBytes = slash.map { bytes.count - $0 - 1 } ?? bytes.count
        if let slash, slash > maximumLabelPrefixBytes {
            return "label key prefix is \(slash) bytes long; Kubernetes allows at most \(maximumLabelPrefixBytes)"
        }
        if nameBytes == 0 { return "label key has an empty name" }
        if nameBytes > maximumLabelNameBytes {
            return "label name is \(nameBytes) bytes long; Kubernetes allows at most \(maximumLabelNameBytes)"
        }
        return nil
    }

    /// A key as a field path names it: long keys are cut, so an error line stays readable.
    private static func shortened(_ key: String) -> String {
        key.utf8.count <= 80 ? key : String(key.prefix(40)) + "…"
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
    /// `~`, `null` or an empty value.
    package static func isNull(_ node: ManifestNode) -> Bool { node.isNull }
}
