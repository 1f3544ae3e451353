import CLibYAML
import FlowCore
import Yams

/// Reads YAML (and JSON) text into Yams nodes in one pass of libyaml's event parser, enforcing
/// `YAMLPrecheck`'s limits and reporting its duplicate-key warnings on the way.
///
/// Loading a large cluster used to parse every manifest twice: once for the limits, once more
/// in Yams' `Parser`, which wraps every event in an object, decodes every scalar through
/// Foundation and recurses per nesting level. The nodes built here are the ones that parser
/// builds (same strings, tags, marks and anchors, including anchors reaching across documents of
/// one stream), and the errors say the same things: a limit error refuses the whole text, a
/// syntax error keeps the documents completed before it, as Yams' `nextRoot` loop did.
enum YAMLDocumentReader {
    struct Result {
        var documents: [Node] = []
        var warnings: [FlowlogError] = []
        var error: FlowlogError?
    }

    static func read(_ text: String, file: String) -> Result {
        var result = Result()
        let count = text.utf8.count
        guard count <= YAMLPrecheck.maximumBytes else {
            result.error = FlowlogError(.parse, "the text is \(count) bytes long; at most \(YAMLPrecheck.maximumBytes) are read",
                                        location: .init(file: file))
            return result
        }
        guard count > 0 else { return result }
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                result.error = FlowlogError(.libraryCall, "cannot set up the YAML parser", location: .init(file: file),
                                            call: "yaml_parser_initialize")
                return
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = Builder(file: file)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    result.documents = builder.documents
                    result.warnings = builder.warnings
                    result.error = builder.undefinedAlias ?? syntaxError(parser, text: text, file: file)
                    return
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                do {
                    try builder.take(event)
                } catch let failure as FlowlogError {
                    // A limit refuses the whole text, as the separate check before parsing did.
                    result.error = failure
                    return
                } catch {
                    result.error = FlowlogError(.parse, "\(error)", location: .init(file: file))
                    return
                }
            }
            result.documents = builder.documents
            result.warnings = builder.warnings
            result.error = builder.undefinedAlias
        }
        return result
    }

    /// libyaml's error, worded as `ClusterLoader.yamlError` words Yams' (which wraps the same
    /// fields): context and problem, at the problem's line and column.
    private static func syntaxError(_ parser: yaml_parser_t, text: String, file: String) -> FlowlogError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        switch parser.error {
        case YAML_READER_ERROR:
            // Yams reports the offset in characters.
            let index = text.utf8.index(text.utf8.startIndex, offsetBy: parser.problem_offset, limitedBy: text.utf8.endIndex)?
                .samePosition(in: text)
            let offset = index.map { text.distance(from: text.startIndex, to: $0) }
            return FlowlogError(.parse, "YAML/JSON syntax: \(problem)", location: .init(file: file, offset: offset.map { UInt64($0) }))
        case YAML_SCANNER_ERROR, YAML_PARSER_ERROR, YAML_COMPOSER_ERROR:
            let context = parser.context.map { String(cString: $0) }
            let what = [context, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            return FlowlogError(.parse, "YAML/JSON syntax: \(what)",
                                location: .init(file: file, line: Int(parser.problem_mark.line) + 1,
                                                column: Int(parser.problem_mark.column) + 1))
        default:
            return FlowlogError(.parse, "YAML/JSON: \(problem)", location: .init(file: file))
        }
    }

    /// Open collections as an explicit stack (no recursion, so no depth can overflow it).
    private struct Builder {
        struct Frame {
            var isMapping: Bool
            /// Finished children in order (a mapping's alternate key, value, key, …).
            var children: [Node] = []
            /// Nodes in this collection so far, aliases expanded, itself included.
            var nodes = 1
            var anchor: String?
            var tag: String?
            var style: UInt32
            var mark: Mark
            /// Scalar keys seen so far with their line and column; a dictionary only once the
            /// mapping grows past a few keys.
            var keyList: [(key: String, line: Int, column: Int)] = []
            var keyIndex: [String: (line: Int, column: Int)]?
        }

        let file: String
        var frames: [Frame] = []
        var documents: [Node] = []
        var warnings: [FlowlogError] = []
        /// Yams keeps anchors for the whole stream; the expansion count is per document, as
        /// `YAMLPrecheck` counts it.
        var anchors: [String: Node] = [:]
        var anchorNodes: [String: Int] = [:]
        var expandedByAliases = 0
        /// Yams stops composing at an alias to no anchor, keeping the documents before it, while
        /// the limit check went on to the end: so does this, building no further document.
        var undefinedAlias: FlowlogError?
        var finishedRoot: Node?

        init(file: String) { self.file = file }

        func location(_ mark: yaml_mark_t) -> FlowlogError.Location {
            .init(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
        }

        /// Yams gives `Mark` no public initialiser; it is two stored `Int`s, line then column, laid
        /// out as this tuple (`unsafeBitCast` traps if the sizes ever differ, and
        /// `YAMLDocumentReaderTests` reads the fields back).
        static func mark(_ mark: yaml_mark_t) -> Mark {
            unsafeBitCast((Int(mark.line) + 1, Int(mark.column) + 1), to: Mark.self)
        }

        static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            guard let pointer else { return nil }
            return String(cString: pointer)
        }

        /// A scalar key of the innermost mapping, checked against the keys before it.
        mutating func note(key: String, at mark: yaml_mark_t) {
            let last = frames.count - 1
            let here = (line: Int(mark.line) + 1, column: Int(mark.column) + 1)
            var first: (line: Int, column: Int)?
            if frames[last].keyIndex != nil {
                first = frames[last].keyIndex![key]
                if first == nil { frames[last].keyIndex![key] = here }
            } else if let found = frames[last].keyList.first(where: { $0.key == key }) {
                first = (found.line, found.column)
            } else if frames[last].keyList.count < 16 {
                frames[last].keyList.append((key, here.line, here.column))
            } else {
                var index: [String: (line: Int, column: Int)] = [:]
                for entry in frames[last].keyList where index[entry.key] == nil { index[entry.key] = (entry.line, entry.column) }
                index[key] = here
                frames[last].keyIndex = index
                frames[last].keyList = []
            }
            if let first {
                warnings.append(FlowlogError(
                    .validation, "duplicate key '\(key)' (first at line \(first.line), column \(first.column)); the last one is used",
                    location: location(mark)))
            }
        }

        /// Whether the next child of the innermost collection is a mapping key.
        var expectingKey: Bool {
            guard let last = frames.last, last.isMapping else { return false }
            return last.children.count % 2 == 0
        }

        /// Hands a finished node (of `nodes` nodes, aliases expanded) to its parent, or ends a document.
        mutating func finish(_ node: Node, nodes: Int) {
            if frames.isEmpty {
                // Complete once its end parses (Yams' composer reads that event before returning it).
                if undefinedAlias == nil { finishedRoot = node }
            } else {
                frames[frames.count - 1].children.append(node)
                frames[frames.count - 1].nodes &+= nodes
            }
        }

        mutating func take(_ event: yaml_event_t) throws {
            switch event.type {
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)), as: UTF8.self)
                if expectingKey { note(key: value, at: event.start_mark) }
                let tag = scalar.quoted_implicit == 1 ? Tag.Name.str.rawValue : Self.text(scalar.tag)
                let node = Node.scalar(Node.Scalar(value, Self.tag(tag), Node.Scalar.Style(rawValue: scalar.style.rawValue) ?? .any,
                                                   Self.mark(event.start_mark)))
                if let anchor = Self.text(scalar.anchor) {
                    anchors[anchor] = node
                    anchorNodes[anchor] = 1
                }
                finish(node, nodes: 1)
            case YAML_ALIAS_EVENT:
                let name = Self.text(event.data.alias.anchor) ?? ""
                let node: Node
                if let anchored = anchors[name] {
                    node = anchored
                } else {
                    if undefinedAlias == nil {
                        undefinedAlias = FlowlogError(.parse, "YAML/JSON syntax: found undefined alias", location: location(event.start_mark))
                    }
                    node = .scalar(Node.Scalar(""))
                }
                let nodes = anchorNodes[name] ?? 1
                expandedByAliases &+= nodes
                guard expandedByAliases <= YAMLPrecheck.maximumAliasExpansion else {
                    throw FlowlogError(.parse, "aliases expand to more than \(YAMLPrecheck.maximumAliasExpansion) nodes",
                                       location: location(event.start_mark))
                }
                finish(node, nodes: nodes)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard frames.count < YAMLPrecheck.maximumDepth else {
                    throw FlowlogError(.parse, "nested more than \(YAMLPrecheck.maximumDepth) levels deep", location: location(event.start_mark))
                }
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let start = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
                let implicit = isMapping ? event.data.mapping_start.implicit : event.data.sequence_start.implicit
                let tag = implicit != 0 ? nil : Self.text(isMapping ? event.data.mapping_start.tag : event.data.sequence_start.tag)
                let style = isMapping ? event.data.mapping_start.style.rawValue : event.data.sequence_start.style.rawValue
                frames.append(Frame(isMapping: isMapping, anchor: Self.text(start), tag: tag, style: style,
                                    mark: Self.mark(event.start_mark)))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = frames.popLast() else { return }
                let node: Node
                if frame.isMapping {
                    var pairs: [(Node, Node)] = []
                    pairs.reserveCapacity(frame.children.count / 2)
                    var i = 0
                    while i + 1 < frame.children.count {
                        pairs.append((frame.children[i], frame.children[i + 1]))
                        i += 2
                    }
                    node = .mapping(Node.Mapping(pairs, Self.tag(frame.tag), Node.Mapping.Style(rawValue: frame.style) ?? .any,
                                                 frame.mark))
                } else {
                    node = .sequence(Node.Sequence(frame.children, Self.tag(frame.tag),
                                                   Node.Sequence.Style(rawValue: frame.style) ?? .any, frame.mark))
                }
                if let anchor = frame.anchor {
                    anchors[anchor] = node
                    anchorNodes[anchor] = frame.nodes
                }
                finish(node, nodes: frame.nodes)
            case YAML_DOCUMENT_START_EVENT:
                anchorNodes.removeAll(keepingCapacity: true)
            case YAML_DOCUMENT_END_EVENT:
                if let root = finishedRoot { documents.append(root) }
                finishedRoot = nil
            default:
                break
            }
        }

        /// As Yams' parser makes them (basic resolver: no regular expressions).
        static func tag(_ name: String?) -> Tag {
            Tag(name.map(Tag.Name.init(rawValue:)) ?? .implicit, .basic, .default)
        }
    }
}
