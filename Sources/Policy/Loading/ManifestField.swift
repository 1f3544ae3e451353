import FlowCore
import Foundation

/// A YAML/JSON node with where it came from: the file, the resource it belongs to and the field
/// path, so every error can say file:line, resource and field.
///
/// The field path is worked out only when something asks for it (an error, a warning, a List
/// item's name): loading reads a few hundred thousand fields and reports a handful, and building
/// each field's path as it was read was a tenth of the loading time. A field keeps the nearest
/// place whose path is known (`basePath` names the node at `baseIndex`, followed by `[baseItem]`
/// when that is not negative) and `path` walks the document from there down to its node.
package struct ManifestField {
    package let node: ManifestNode
    private let basePath: String
    private let baseIndex: Int
    private let baseItem: Int
    package let file: String
    /// `Kind namespace/name` (or `Kind name`).
    package var resource: String
    package let diagnostics: LoadDiagnostics

    package init(node: ManifestNode, path: String, file: String, resource: String, diagnostics: LoadDiagnostics) {
        self.init(node: node, basePath: path, baseIndex: node.index, baseItem: -1, file: file, resource: resource, diagnostics: diagnostics)
    }

    private init(node: ManifestNode, basePath: String, baseIndex: Int, baseItem: Int, file: String, resource: String, diagnostics: LoadDiagnostics) {
        self.node = node
        self.basePath = basePath
        self.baseIndex = baseIndex
        self.baseItem = baseItem
        self.file = file
        self.resource = resource
        self.diagnostics = diagnostics
    }

    /// A node below this one, found at `position` in the document (where an alias stands for
    /// a node elsewhere, which no walk from here would find: its path is spelled out).
    private func descendant(_ node: ManifestNode, at position: Int, step: () -> String) -> ManifestField {
        if node.index == position {
            return ManifestField(node: node, basePath: basePath, baseIndex: baseIndex, baseItem: baseItem, file: file, resource: resource,
                                 diagnostics: diagnostics)
        }
        return ManifestField(node: node, basePath: step(), baseIndex: node.index, baseItem: -1, file: file, resource: resource,
                             diagnostics: diagnostics)
    }

    package func child(_ key: String) -> ManifestField? {
        guard let (position, value) = node.valueEntry(of: key) else { return nil }
        if value.isNull { return nil }
        return descendant(value, at: position) { Self.join(path, key) }
    }

    private static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// `field.key` for a value, `field[3]` for a sequence's item, `field.key` (cut short) for
    /// a key itself, as the loader has always named them.
    package var path: String {
        var path = baseItem < 0 ? basePath : "\(basePath)[\(baseItem)]"
        let document = node.document
        let target = node.index
        var at = baseIndex
        while at != target {
            let parent = document.entries[at]
            guard parent.kind == .mapping || parent.kind == .sequence else { break }
            var position = at + 1
            var previous = position
            var found = false
            for child in 0..<Int(parent.count) {
                let end = Int(document.entries[position].end)
                if position <= target, target < end {
                    if parent.kind == .sequence {
                        path += "[\(child)]"
                    } else if child % 2 == 0 {
                        path += "." + Self.shortened(ManifestNode(document: document, index: position).scalarText ?? "")
                    } else {
                        path = Self.join(path, ManifestNode(document: document, index: previous).scalarText ?? "")
                    }
                    at = position
                    found = true
                    break
                }
                previous = position
                position = end
            }
            if !found { break }
        }
        return path
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
        // Items name their place from the list's path, spelled out once for all of them.
        let listPath = c.path
        var items: [ManifestField] = []
        items.reserveCapacity(c.node.childCount)
        c.node.forEachChild { i, position, n in
            items.append(n.index == position
                ? ManifestField(node: n, basePath: listPath, baseIndex: n.index, baseItem: i, file: file, resource: resource, diagnostics: diagnostics)
                : ManifestField(node: n, basePath: "\(listPath)[\(i)]", baseIndex: n.index, baseItem: -1, file: file, resource: resource,
                                diagnostics: diagnostics))
        }
        return items
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
        c.node.forEachPair { _, k, v in
            guard let key = k.scalarText, let value = v.scalarText else {
                c.error("expected string keys and values")
                return
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
        c.node.forEachPair { position, k, v in
            guard let keyText = k.scalarText, let valueText = v.scalarText else { return }
            let problem = Self.labelKeyProblem(keyText)
            let valueBytes = v.isNull ? 0 : valueText.utf8.count
            guard problem != nil || valueBytes > Self.maximumLabelValueBytes else { return }
            let entry = c.descendant(k, at: position) { "\(c.path).\(Self.shortened(keyText))" }
            if let problem { entry.error(problem) }
            if valueBytes > Self.maximumLabelValueBytes {
                entry.error("label value is \(valueBytes) bytes long; Kubernetes allows at most \(Self.maximumLabelValueBytes)")
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
