import CLibYAML
import FlowCore

/// Checks YAML (and JSON) text before Yams builds nodes from it.
///
/// Yams' composer recurses once per nesting level, so a few thousand nested `[` or block
/// mappings overflow the stack and kill the process, and its aliases are shared nodes that a
/// reader walking the tree expands again at every use. This pass runs libyaml's event parser,
/// which keeps its state in explicit stacks and cannot overflow, and refuses text that nests
/// deeper than `maximumDepth`, whose aliases would expand to more than
/// `maximumAliasExpansion` nodes, or that is longer than `maximumBytes`; each error names the
/// file, line and column. Duplicate keys in one mapping (Yams keeps the last silently) come
/// back as warnings. Syntax errors are left to Yams, which reports them with its own context.
///
/// With `YAMLDocumentReader` (which applies the same limits while it builds the nodes cluster
/// manifests are read into), the only code that calls libyaml.
public enum YAMLPrecheck {
    /// Nesting of sequences and mappings. Kubernetes objects nest about 12 deep (a pod's
    /// `spec.containers[].env[].valueFrom.secretKeyRef.name`); a `kind: List` adds two.
    public static let maximumDepth = 64
    /// Nodes that aliases may add beyond the text's own (each use of an anchor counts the
    /// whole anchored subtree, nested uses multiplied).
    public static let maximumAliasExpansion = 1_000_000
    /// Bytes of one file or document stream (a kubectl dump of 10,000 pods is about 100 MB).
    public static let maximumBytes = 256 << 20

    /// Throws `.parse` (with line and column) when a limit is exceeded; returns warnings.
    public static func check(_ text: String, file: String?, depthLimit: Int = maximumDepth) throws -> [FlowlogError] {
        let count = text.utf8.count
        guard count <= maximumBytes else {
            throw FlowlogError(.parse, "the text is \(count) bytes long; at most \(maximumBytes) are read",
                               location: .init(file: file))
        }
        guard count > 0 else { return [] }
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                throw FlowlogError(.libraryCall, "cannot set up the YAML parser", location: .init(file: file),
                                   call: "yaml_parser_initialize")
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var walk = EventWalk(file: file, depthLimit: depthLimit)
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                try walk.take(event)
            }
            return walk.warnings
        }
    }

    /// The state of one pass over the events: open collections with their node counts and, for
    /// mappings, the keys seen so far.
    private struct EventWalk {
        struct Frame {
            var isMapping: Bool
            var expectingKey = true
            var keys: [String: (line: Int, column: Int)] = [:]
            /// Nodes in this collection so far, aliases expanded, itself included.
            var nodes = 1
            var anchor: String?
        }

        let file: String?
        let depthLimit: Int
        var frames: [Frame] = []
        var anchorNodes: [String: Int] = [:]
        var expandedByAliases = 0
        var warnings: [FlowlogError] = []

        init(file: String?, depthLimit: Int) {
            self.file = file
            self.depthLimit = depthLimit
        }

        func location(_ mark: yaml_mark_t) -> FlowlogError.Location {
            .init(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
        }

        static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?, _ length: Int) -> String {
            guard let pointer else { return "" }
            return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
        }

        static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            guard let pointer else { return nil }
            return String(cString: pointer)
        }

        /// A node starts inside the innermost collection: a mapping alternates key and value;
        /// a scalar key is checked against the keys before it.
        mutating func enter(scalarKey: String?, at mark: yaml_mark_t) {
            guard let last = frames.indices.last, frames[last].isMapping else { return }
            if frames[last].expectingKey, let key = scalarKey {
                let here = (line: Int(mark.line) + 1, column: Int(mark.column) + 1)
                if let first = frames[last].keys[key] {
                    warnings.append(FlowlogError(
                        .validation, "duplicate key '\(key)' (first at line \(first.line), column \(first.column)); the last one is used",
                        location: location(mark)))
                } else {
                    frames[last].keys[key] = here
                }
            }
            frames[last].expectingKey.toggle()
        }

        /// Adds a finished node's count to its parent.
        mutating func add(_ nodes: Int) {
            if let last = frames.indices.last { frames[last].nodes &+= nodes }
        }

        mutating func take(_ event: yaml_event_t) throws {
            switch event.type {
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                enter(scalarKey: Self.text(scalar.value, Int(scalar.length)), at: event.start_mark)
                if let anchor = Self.text(scalar.anchor) { anchorNodes[anchor] = 1 }
                add(1)
            case YAML_ALIAS_EVENT:
                enter(scalarKey: nil, at: event.start_mark)
                let nodes = Self.text(event.data.alias.anchor).flatMap { anchorNodes[$0] } ?? 1
                expandedByAliases &+= nodes
                guard expandedByAliases <= YAMLPrecheck.maximumAliasExpansion else {
                    throw FlowlogError(.parse, "aliases expand to more than \(YAMLPrecheck.maximumAliasExpansion) nodes",
                                       location: location(event.start_mark))
                }
                add(nodes)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                enter(scalarKey: nil, at: event.start_mark)
                guard frames.count < depthLimit else {
                    throw FlowlogError(.parse, "nested more than \(depthLimit) levels deep", location: location(event.start_mark))
                }
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let anchor = isMapping ? Self.text(event.data.mapping_start.anchor) : Self.text(event.data.sequence_start.anchor)
                frames.append(Frame(isMapping: isMapping, anchor: anchor))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = frames.popLast() else { return }
                if let anchor = frame.anchor { anchorNodes[anchor] = frame.nodes }
                add(frame.nodes)
            case YAML_DOCUMENT_START_EVENT:
                // Anchors are per document.
                anchorNodes.removeAll(keepingCapacity: true)
            default:
                break
            }
        }
    }
}
