import FlowCore
import Foundation

/// What every field of one resource shares: the document, the file, the resource's name and
/// where problems go. One reference instead of five: a field is copied at every lookup
/// (`child`, `list`, each typed read), and retaining and releasing the document, two strings
/// and the diagnostics on each copy was most of what building the cluster model cost.
package final class ManifestScope {
    let document: ManifestDocument
    let file: String
    /// `Kind namespace/name` (or `Kind name`).
    let resource: String
    let diagnostics: LoadDiagnostics

    init(document: ManifestDocument, file: String, resource: String, diagnostics: LoadDiagnostics) {
        self.document = document
        self.file = file
        self.resource = resource
        self.diagnostics = diagnostics
    }
}

/// A YAML/JSON node with where it came from: the file, the resource it belongs to and the field
/// path, so every error can say file:line, resource and field.
///
/// The field path is worked out only when something asks for it (an error, a warning, a List
/// item's name): loading reads a few hundred thousand fields and reports a handful, and building
/// each field's path as it was read was a tenth of the loading time. A field keeps the nearest
/// place whose path is known (`basePath` names the node at `baseIndex`, followed by `[baseItem]`
/// when that is not negative) and `path` walks the document from there down to its node. That
/// place is the document's root (an empty path, which costs no reference) unless an alias or a
/// List's items (`list(_:namingItems:)`) spelled one out.
package struct ManifestField {
    private var scope: ManifestScope
    /// The node's entry in the document (an alias already followed).
    private let index: Int
    private let basePath: String
    private let baseIndex: Int
    private let baseItem: Int

    package init(node: ManifestNode, path: String, file: String, resource: String, diagnostics: LoadDiagnostics) {
        self.init(scope: ManifestScope(document: node.document, file: file, resource: resource, diagnostics: diagnostics),
                  index: node.index, basePath: path, baseIndex: node.index, baseItem: -1)
    }

    private init(scope: ManifestScope, index: Int, basePath: String, baseIndex: Int, baseItem: Int) {
        self.scope = scope
        self.index = index
        self.basePath = basePath
        self.baseIndex = baseIndex
        self.baseItem = baseItem
    }

    package var node: ManifestNode { ManifestNode(document: scope.document, index: index) }
    package var file: String { scope.file }
    package var diagnostics: LoadDiagnostics { scope.diagnostics }

    /// `Kind namespace/name` (or `Kind name`). Setting it gives this field (and the fields found
    /// from it afterwards) a scope of their own; fields found before keep theirs.
    package var resource: String {
        get { scope.resource }
        set { scope = ManifestScope(document: scope.document, file: scope.file, resource: newValue, diagnostics: scope.diagnostics) }
    }

    /// A node below this one, found at `position` in the document (where an alias stands for
    /// a node elsewhere, which no walk from here would find: its path is spelled out).
    private func descendant(_ node: ManifestNode, at position: Int, step: () -> String) -> ManifestField {
        if node.index == position {
            return ManifestField(scope: scope, index: node.index, basePath: basePath, baseIndex: baseIndex, baseItem: baseItem)
        }
        return ManifestField(scope: scope, index: node.index, basePath: step(), baseIndex: node.index, baseItem: -1)
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
        let document = scope.document
        let target = index
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
        let node = node
        return FlowlogError.Location(file: scope.file, line: node.line, column: node.column, field: path.isEmpty ? nil : path)
    }

    package func error(_ message: String) {
        scope.diagnostics.errors.append(FlowlogError(.validation, "\(scope.resource): \(message)", location: location))
    }

    package func warning(_ message: String) {
        scope.diagnostics.warnings.append(FlowlogError(.validation, "\(scope.resource): \(message)", location: location))
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

    /// A sequence's items. `namingItems`: each item's path will be asked for (a List's items
    /// name their resource by it), so the list's path is spelled out once and each item starts
    /// from it; otherwise items walk from where this field does, only if a path is ever asked.
    package func list(_ key: String, namingItems: Bool = false) -> [ManifestField] {
        guard let c = child(key) else { return [] }
        let node = c.node
        guard node.isSequence else {
            c.error("expected a list")
            return []
        }
        var items: [ManifestField] = []
        items.reserveCapacity(node.childCount)
        if namingItems {
            let listPath = c.path
            node.forEachChild { i, position, n in
                items.append(n.index == position
                    ? ManifestField(scope: c.scope, index: n.index, basePath: listPath, baseIndex: n.index, baseItem: i)
                    : ManifestField(scope: c.scope, index: n.index, basePath: "\(listPath)[\(i)]", baseIndex: n.index, baseItem: -1))
            }
        } else {
            node.forEachChild { i, position, n in
                items.append(c.descendant(n, at: position) { "\(c.path)[\(i)]" })
            }
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
        guard let c = child(key) else { return [:] }
        let node = c.node
        guard node.isMapping else {
            c.error("expected a map of strings")
            return [:]
        }
        // One pass reads the map as `stringMap` does; a label out of bounds (rare) sends its
        // errors after the map's own, as they always came.
        var out: [String: String] = [:]
        out.reserveCapacity(node.pairCount)
        var outOfBounds = false
        node.forEachPair { _, k, v in
            guard let key = k.scalarText, let value = v.scalarText else {
                c.error("expected string keys and values")
                return
            }
            let isNull = v.isNull
            if Self.labelKeyProblem(key) != nil || (!isNull && value.utf8.count > Self.maximumLabelValueBytes) { outOfBounds = true }
            out[key] = isNull ? "" : value
        }
        guard outOfBounds else { return out }
        node.forEachPair { position, k, v in
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
        return out
    }

    static let maximumLabelNameBytes = 63
    static let maximumLabelPrefixBytes = 253
    static let maximumLabelValueBytes = 63

    static func labelKeyProblem(_ key: String) -> String? {
        // The bytes in place: an array of them per label was a tenth of reading a pod.
        var key = key
        return key.withUTF8 { labelKeyProblem($0) }
    }

    private static func labelKeyProblem(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let count = bytes.count
        // Most keys: short enough for any prefix and name, and not ending at the `/`.
        if count > 0, count <= maximumLabelNameBytes, bytes[count - 1] != UInt8(ascii: "/") { return nil }
        var slash: Int?
        for (at, byte) in bytes.enumerated() where byte == UInt8(ascii: "/") { slash = at }
        let nameBytes = slash.map { count - $0 - 1 } ?? count
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
