import CLibYAML
import FlowCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Yams

/// Reads YAML (and JSON) text into a flat `ManifestDocument` in one pass of libyaml's event
/// parser, enforcing `YAMLPrecheck`'s limits and reporting its duplicate-key warnings on the way
/// (`YAMLDocumentAssembly`). Text in the block-style subset `BlockYAMLScanner` reads (generated
/// and `kubectl` manifests) is read by that scanner instead, into the same documents.
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

    /// Which parser reads a text.
    package enum Reading: Sendable {
        /// `BlockYAMLScanner` when the whole text is in its block-style subset, libyaml otherwise.
        case blockScannerFirst
        /// libyaml's event parser alone (the reference the scanner is tested against).
        case libyamlOnly
    }

    static func read(_ text: String, file: String, reading: Reading = .blockScannerFirst) -> Result {
        var result = Result()
        let count = text.utf8.count
        guard count <= YAMLPrecheck.maximumBytes else {
            result.error = FlowlogError(.parse, "the text is \(count) bytes long; at most \(YAMLPrecheck.maximumBytes) are read",
                                        location: .init(file: file))
            return result
        }
        guard count > 0 else { return result }
        var bytes = Array(text.utf8)
        if reading == .blockScannerFirst {
            var assembly = YAMLDocumentAssembly(file: file, expectedBytes: count, text: bytes)
            if BlockYAMLScanner.read(into: &assembly) {
                result.documents = assembly.finishedDocuments()
                result.warnings = assembly.warnings
                return result
            }
        }
        bytes.withUnsafeMutableBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                result.error = FlowlogError(.libraryCall, "cannot set up the YAML parser", location: .init(file: file),
                                            call: "yaml_parser_initialize")
                return
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var assembly = YAMLDocumentAssembly(file: file, expectedBytes: count)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    result.documents = assembly.finishedDocuments()
                    result.warnings = assembly.warnings
                    result.error = assembly.undefinedAlias ?? syntaxError(parser, text: text, file: file)
                    return
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                do {
                    try take(event, into: &assembly)
                } catch let failure as FlowlogError {
                    // A limit refuses the whole text, as the separate check before parsing did.
                    result.error = failure
                    return
                } catch {
                    result.error = FlowlogError(.parse, "\(error)", location: .init(file: file))
                    return
                }
            }
            result.documents = assembly.finishedDocuments()
            result.warnings = assembly.warnings
            result.error = assembly.undefinedAlias
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

    /// The tag a quoted scalar without one of its own is given (Yams' name for `!!str`).
    static let stringTag = Tag.Name.str.rawValue

    /// libyaml's events, one at a time, into `assembly`.
    private static func take(_ event: yaml_event_t, into assembly: inout YAMLDocumentAssembly) throws {
        let line = Int(event.start_mark.line) + 1, column = Int(event.start_mark.column) + 1
        switch event.type {
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let tag = scalar.quoted_implicit == 1 ? stringTag : text(scalar.tag)
            assembly.scalar(UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)), tag: assembly.flat.tagNumber(tag),
                            style: UInt8(truncatingIfNeeded: scalar.style.rawValue), line: line, column: column,
                            anchor: text(scalar.anchor))
        case YAML_ALIAS_EVENT:
            try assembly.alias(text(event.data.alias.anchor) ?? "", line: line, column: column)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let anchor = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
            let implicit = isMapping ? event.data.mapping_start.implicit : event.data.sequence_start.implicit
            let tag = implicit != 0 ? nil : text(isMapping ? event.data.mapping_start.tag : event.data.sequence_start.tag)
            let style = isMapping ? event.data.mapping_start.style.rawValue : event.data.sequence_start.style.rawValue
            try assembly.open(mapping: isMapping, tag: assembly.flat.tagNumber(tag), style: UInt8(truncatingIfNeeded: style),
                              line: line, column: column, anchor: text(anchor))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            assembly.close()
        case YAML_DOCUMENT_START_EVENT:
            assembly.startDocument()
        case YAML_DOCUMENT_END_EVENT:
            assembly.endDocument()
        default:
            break
        }
    }

    private static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }
}
