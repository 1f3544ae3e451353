import FlowCore
import Foundation
import Policy
import Yams

/// Reads `GlobalReport` manifests: a `--spec` file, or every report among cluster manifests.
/// Every problem is collected with its file:line:column and field, as `policy check` does.
public enum ReportSpecLoader {
    /// Inputs beyond these are refused before parsing: a report spec is a few hundred bytes.
    public static let maximumBytes = 1 << 20
    public static let maximumDocuments = 1_024
    /// Flow-style nesting (`[`/`{`) deeper than this is refused before the YAML composer, which
    /// recurses per level, ever sees it.
    public static let maximumNesting = 64

    /// The one `GlobalReport` in `file`; any other count is an error.
    public static func loadSingle(file: String) throws -> ReportSpec {
        guard let data = FileManager.default.contents(atPath: file) else {
            let exists = FileManager.default.fileExists(atPath: file)
            throw FlowlogError(exists ? .io : .fileNotFound, exists ? "cannot read the file" : "no such file",
                               location: .init(file: file))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FlowlogError(.parse, "not UTF-8 text", location: .init(file: file))
        }
        let (specs, errors) = parse(text: text, file: file)
        if !errors.isEmpty { throw ReportSpecError(errors: errors) }
        guard specs.count == 1 else {
            throw FlowlogError(.validation, specs.isEmpty
                ? "no GlobalReport (apiVersion projectcalico.org/v3) in the file"
                : "\(specs.count) GlobalReports in the file; --spec takes a file with exactly one",
                location: .init(file: file))
        }
        return specs[0]
    }

    /// Every `GlobalReport` in `text`; other kinds are skipped (manifest directories hold both).
    public static func parse(text: String, file: String) -> (specs: [ReportSpec], errors: [FlowlogError]) {
        if text.utf8.count > maximumBytes {
            return ([], [FlowlogError(.validation, "\(text.utf8.count) bytes; a report manifest may have at most \(maximumBytes)",
                                      location: .init(file: file))])
        }
        if let deep = deepNesting(text) {
            return ([], [FlowlogError(.validation, "nesting deeper than \(maximumNesting) levels",
                                      location: .init(file: file, line: deep.line, column: deep.column))])
        }
        let diagnostics = LoadDiagnostics()
        var specs: [ReportSpec] = []
        do {
            let parser = try Parser(yaml: text, resolver: .basic)
            var documents = 0
            while let document = try parser.nextRoot() {
                documents += 1
                if documents > maximumDocuments {
                    diagnostics.errors.append(FlowlogError(.validation, "more than \(maximumDocuments) documents",
                                                           location: .init(file: file)))
                    break
                }
                let root = ManifestField(node: ManifestNode(document), path: "", file: file, resource: "document", diagnostics: diagnostics)
                collect(root, into: &specs)
            }
        } catch let error as YamlError {
            diagnostics.errors.append(ClusterLoader.yamlError(error, file: file))
        } catch {
            diagnostics.errors.append(FlowlogError(.parse, "\(error)", location: .init(file: file)))
        }
        return (specs, diagnostics.errors)
    }

    /// Every `GlobalReport` in manifest files and directories (`.yaml`, `.yml`, `.json`).
    public static func load(paths: [String]) -> (specs: [ReportSpec], errors: [FlowlogError]) {
        var specs: [ReportSpec] = []
        let listing = ClusterLoader.manifestFiles(paths: paths)
        var errors = listing.errors
        for file in listing.files {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                errors.append(FlowlogError(.io, "cannot read the file as UTF-8 text", location: .init(file: file)))
                continue
            }
            // Cheap test first: most manifests hold no report.
            guard text.contains("GlobalReport") else { continue }
            let found = parse(text: text, file: file)
            specs += found.specs
            errors += found.errors
        }
        var seen: Set<String> = []
        for spec in specs where !seen.insert(spec.name).inserted {
            errors.append(FlowlogError(.validation, "GlobalReport \(spec.name) is defined more than once",
                                       location: .init(file: spec.origin, field: "metadata.name")))
        }
        return (specs, errors)
    }

    private static func collect(_ document: ManifestField, into specs: inout [ReportSpec]) {
        if ManifestField.isNull(document.node) { return }
        guard document.isMapping else {
            document.error("a manifest document must be a map with apiVersion and kind")
            return
        }
        let kind = document.string("kind") ?? ""
        if kind == "List" || kind == "GlobalReportList" {
            for item in document.list("items") { collect(item, into: &specs) }
            return
        }
        guard kind == "GlobalReport" else { return }
        if let spec = ReportSpecReader(document: document).read() { specs.append(spec) }
    }

    /// Line and column where flow-style nesting first exceeds the limit (outside quotes and comments).
    static func deepNesting(_ text: String) -> (line: Int, column: Int)? {
        var depth = 0, line = 1, column = 0
        var quote: UInt8? = nil
        var comment = false
        for byte in text.utf8 {
            column += 1
            if byte == 0x0A {
                line += 1
                column = 0
                comment = false
                continue
            }
            if comment { continue }
            if let q = quote {
                if byte == q { quote = nil }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte
            case UInt8(ascii: "#"): comment = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maximumNesting { return (line, column) }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            default: break
            }
        }
        return nil
    }
}

/// Every error in a report manifest, thrown together so a user sees all of them in one run.
public struct ReportSpecError: Error, Sendable, CustomStringConvertible {
    public let errors: [FlowlogError]

    public var description: String {
        let head = errors.count == 1 ? "1 error in the report spec" : "\(errors.count) errors in the report spec"
        return ([head + ":"] + errors.map { "  " + $0.description }).joined(separator: "\n")
    }
}
