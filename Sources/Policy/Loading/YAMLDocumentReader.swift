import CLibYAML
import FlowCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Yams

/// Reads YAML (and JSON) text into a flat `ManifestDocument` in one pass of libyaml's event
/// parser, enforcing `YAMLPrecheck`'s limits and reporting its duplicate-key warnings on the way.
///
/// Loading a large cluster used to parse every manifest twice: once for the limits, once more
/// in Yams' `Parser`, which wraps every event in an object, decodes every scalar through
/// Foundation and recurses per nesting level; then it built a tree of Yams nodes, most of which
/// the loader never read and all of which it had to free. The documents built here hold what
/// that parser's nodes held (same text, tags, styles, marks and anchors, including anchors
/// reaching across documents of one stream), and the errors say the same things: a limit error
/// refuses the whole text, a syntax error keeps the documents completed before it, as Yams'
/// `nextRoot` loop did.
enum YAMLDocumentReader {
    struct Result {
        var documents: [ManifestNode] = []
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
            // Grown by doubling, the two arrays were copied a dozen times on the way to a large
            // file's size (a tenth of the loading time); untouched capacity costs no memory.
            builder.flat.bytes.reserveCapacity(count)
            builder.flat.entries.reserveCapacity(count / 16 + 16)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    result.documents = builder.finishedDocuments()
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
            result.documents = builder.finishedDocuments()
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
            /// The collection's entry.
            var index: UInt32
            /// Finished children so far (a mapping's alternate key, value, key, …).
            var children = 0
            /// Nodes in this collection so far, aliases expanded, itself included.
            var nodes = 1
            var anchor: String?
            /// Scalar keys seen so far (their text's place in `flat.bytes`) with their line and
            /// column; a dictionary only once the mapping grows past a few keys.
            var keyList: [(start: Int, count: Int, line: Int, column: Int)] = []
            var keyIndex: [String: (line: Int, column: Int)]?
        }

        let file: String
        var flat = ManifestDocument.Builder()
        var frames: [Frame] = []
        var roots: [UInt32] = []
        var warnings: [FlowlogError] = []
        /// Yams keeps anchors for the whole stream; the expansion count is per document, as
        /// `YAMLPrecheck` counts it.
        var anchors: [String: UInt32] = [:]
        var anchorNodes: [String: Int] = [:]
        var expandedByAliases = 0
        /// Yams stops composing at an alias to no anchor, keeping the documents before it, while
        /// the limit check went on to the end: so does this, building no further document.
        var undefinedAlias: FlowlogError?
        var finishedRoot: UInt32?

        init(file: String) { self.file = file }

        func finishedDocuments() -> [ManifestNode] {
            guard !roots.isEmpty else { return [] }
            let document = flat.finish()
            return roots.map { ManifestNode(document: document, index: Int($0)) }
        }

        func location(_ mark: yaml_mark_t) -> FlowlogError.Location {
            .init(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
        }

        static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            guard let pointer else { return nil }
            return String(cString: pointer)
        }

        /// A scalar key of the innermost mapping (its text at `start` in `flat.bytes`), checked
        /// against the keys before it. Keys are compared as bytes; a `String` is made only for
        /// a wide mapping's index or a warning.
        mutating func note(keyAt start: Int, count: Int, at mark: yaml_mark_t) {
            let last = frames.count - 1
            let here = (line: Int(mark.line) + 1, column: Int(mark.column) + 1)
            var first: (line: Int, column: Int)?
            if frames[last].keyIndex != nil {
                let key = keyText(start, count)
                first = frames[last].keyIndex![key]
                if first == nil { frames[last].keyIndex![key] = here }
            } else if let found = frames[last].keyList.first(where: { sameBytes($0.start, $0.count, start, count) }) {
                first = (found.line, found.column)
            } else if frames[last].keyList.count < 16 {
                frames[last].keyList.append((start, count, here.line, here.column))
            } else {
                var index: [String: (line: Int, column: Int)] = [:]
                for entry in frames[last].keyList {
                    let key = keyText(entry.start, entry.count)
                    if index[key] == nil { index[key] = (entry.line, entry.column) }
                }
                index[keyText(start, count)] = here
                frames[last].keyIndex = index
                frames[last].keyList = []
            }
            if let first {
                warnings.append(FlowlogError(
                    .validation, "duplicate key '\(keyText(start, count))' (first at line \(first.line), column \(first.column)); the last one is used",
                    location: location(mark)))
            }
        }

        func keyText(_ start: Int, _ count: Int) -> String {
            String(decoding: flat.bytes[start..<(start + count)], as: UTF8.self)
        }

        func sameBytes(_ a: Int, _ aCount: Int, _ b: Int, _ bCount: Int) -> Bool {
            guard aCount == bCount else { return false }
            return flat.bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + a, $0.baseAddress! + b, aCount) == 0 }
        }

        /// Whether the next child of the innermost collection is a mapping key.
        var expectingKey: Bool {
            guard let last = frames.last, last.isMapping else { return false }
            return last.children % 2 == 0
        }

        /// Counts a finished node (of `nodes` nodes, aliases expanded) in its parent, or ends a document.
        mutating func finish(_ index: UInt32, nodes: Int) {
            if frames.isEmpty {
                // Complete once its end parses (Yams' composer reads that event before returning it).
                if undefinedAlias == nil { finishedRoot = index }
            } else {
                frames[frames.count - 1].children += 1
                frames[frames.count - 1].nodes &+= nodes
            }
        }

        mutating func take(_ event: yaml_event_t) throws {
            switch event.type {
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let tag = scalar.quoted_implicit == 1 ? Tag.Name.str.rawValue : Self.text(scalar.tag)
                let start = flat.bytes.count
                let index = flat.scalar(UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)), tag: flat.tagNumber(tag),
                                        style: UInt8(truncatingIfNeeded: scalar.style.rawValue),
                                        line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
                if expectingKey { note(keyAt: start, count: Int(scalar.length), at: event.start_mark) }
                if let anchor = Self.text(scalar.anchor) {
                    anchors[anchor] = index
                    anchorNodes[anchor] = 1
                }
                finish(index, nodes: 1)
            case YAML_ALIAS_EVENT:
                let name = Self.text(event.data.alias.anchor) ?? ""
                let index = UInt32(flat.entries.count)
                if let anchored = anchors[name] {
                    flat.alias(to: anchored)
                } else {
                    if undefinedAlias == nil {
                        undefinedAlias = FlowlogError(.parse, "YAML/JSON syntax: found undefined alias", location: location(event.start_mark))
                    }
                    // A stand-in no finished document reaches (none is finished after it).
                    flat.scalar(UnsafeBufferPointer(start: nil, count: 0), tag: 0, style: 0, line: 0, column: 0)
                }
                let nodes = anchorNodes[name] ?? 1
                expandedByAliases &+= nodes
                guard expandedByAliases <= YAMLPrecheck.maximumAliasExpansion else {
                    throw FlowlogError(.parse, "aliases expand to more than \(YAMLPrecheck.maximumAliasExpansion) nodes",
                                       location: location(event.start_mark))
                }
                finish(index, nodes: nodes)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard frames.count < YAMLPrecheck.maximumDepth else {
                    throw FlowlogError(.parse, "nested more than \(YAMLPrecheck.maximumDepth) levels deep", location: location(event.start_mark))
                }
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let start = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
                let implicit = isMapping ? event.data.mapping_start.implicit : event.data.sequence_start.implicit
                let tag = implicit != 0 ? nil : Self.text(isMapping ? event.data.mapping_start.tag : event.data.sequence_start.tag)
                let style = isMapping ? event.data.mapping_start.style.rawValue : event.data.sequence_start.style.rawValue
                let index = flat.open(isMapping ? .mapping : .sequence, tag: flat.tagNumber(tag), style: UInt8(truncatingIfNeeded: style),
                                      line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
                frames.append(Frame(isMapping: isMapping, index: index, anchor: Self.text(start)))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = frames.popLast() else { return }
                // A mapping's children come in pairs (libyaml emits a value for every key).
                flat.close(frame.index, children: frame.isMapping ? frame.children & ~1 : frame.children)
                if let anchor = frame.anchor {
                    anchors[anchor] = frame.index
                    anchorNodes[anchor] = frame.nodes
                }
                finish(frame.index, nodes: frame.nodes)
            case YAML_DOCUMENT_START_EVENT:
                anchorNodes.removeAll(keepingCapacity: true)
            case YAML_DOCUMENT_END_EVENT:
                if let root = finishedRoot { roots.append(root) }
                finishedRoot = nil
            default:
                break
            }
        }
    }
}
