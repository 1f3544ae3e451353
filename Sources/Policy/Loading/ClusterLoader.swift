import FlowCore
import Foundation
import Yams

/// Reads cluster manifests: `kubectl get -o yaml|json` output (single objects, multi-document
/// YAML, `kind: List`), `calicoctl` v3 manifests, and directories of such files.
public enum ClusterLoader {
    /// Loads every file (directories recursively: `.yaml`, `.yml`, `.json`). Throws
    /// `ClusterLoadError` listing every error found; warnings stay in `Cluster.warnings`.
    public static func load(paths: [String]) throws -> Cluster {
        let (cluster, errors) = inspect(paths: paths)
        if !errors.isEmpty { throw ClusterLoadError(errors: errors) }
        return cluster
    }

    /// Loads what it can and returns it with every error (for `flowlog policy check`).
    public static func inspect(paths: [String]) -> (cluster: Cluster, errors: [FlowlogError]) {
        let diagnostics = LoadDiagnostics()
        var builder = ClusterBuilder(diagnostics: diagnostics)
        for file in expand(paths: paths, diagnostics: diagnostics) {
            builder.cluster.files.append(file)
            if let size = fileSize(file), size > YAMLPrecheck.maximumBytes {
                diagnostics.errors.append(FlowlogError(.parse, "the file is \(size) bytes long; at most \(YAMLPrecheck.maximumBytes) are read",
                                                       location: .init(file: file)))
                continue
            }
            guard let data = FileManager.default.contents(atPath: file) else {
                diagnostics.errors.append(FlowlogError(.io, "cannot read the file", location: .init(file: file)))
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                diagnostics.errors.append(FlowlogError(.parse, "not UTF-8 text", location: .init(file: file)))
                continue
            }
            load(text: text, file: file, into: &builder)
        }
        builder.finish()
        builder.cluster.warnings = diagnostics.warnings
        return (builder.cluster, diagnostics.errors)
    }

    /// The size `FileManager.attributesOfItem` reports (the link's own for a symbolic link),
    /// read with `lstat`: the attribute dictionary and its `as? Int` (a dynamic cast, its
    /// conformances looked up at run time) cost about 170,000 instructions a file.
    private static func fileSize(_ path: String) -> Int? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return Int(status.st_size)
    }

    /// Loads manifests held in memory (tests, generated clusters); `name` stands in for the file.
    public static func load(text: String, name: String = "<input>") throws -> Cluster {
        let diagnostics = LoadDiagnostics()
        var builder = ClusterBuilder(diagnostics: diagnostics)
        load(text: text, file: name, into: &builder)
        builder.finish()
        builder.cluster.warnings = diagnostics.warnings
        if !diagnostics.errors.isEmpty { throw ClusterLoadError(errors: diagnostics.errors) }
        return builder.cluster
    }

    static func load(text: String, file: String, into builder: inout ClusterBuilder) {
        // One pass of libyaml's events checks the limits (depth, aliases, size: Yams' composer
        // would recurse per level and crash on them) and builds the nodes; no tag resolution:
        // fields are read as text and converted here (`ManifestField`).
        // A limit error comes alone; a syntax error after the documents completed before it.
        let read = YAMLDocumentReader.read(text, file: file)
        builder.diagnostics.warnings += read.warnings
        for document in read.documents {
            builder.add(ManifestField(node: document, path: "", file: file, resource: "document", diagnostics: builder.diagnostics))
        }
        if let error = read.error { builder.diagnostics.errors.append(error) }
    }

    package static func yamlError(_ error: YamlError, file: String) -> FlowlogError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            return FlowlogError(.parse, "YAML/JSON syntax: \(what)", location: .init(file: file, line: mark.line, column: mark.column))
        case let .reader(problem, offset, _, _):
            return FlowlogError(.parse, "YAML/JSON syntax: \(problem)", location: .init(file: file, offset: offset.map { UInt64($0) }))
        default:
            return FlowlogError(.parse, "YAML/JSON: \(error)", location: .init(file: file))
        }
    }

    /// The manifest files `paths` name, as `load` reads them (directories recursively, `.yaml`,
    /// `.yml` and `.json`, sorted), and an error for each path that does not exist; for
    /// evidence-side readers of the same inputs.
    public static func manifestFiles(paths: [String]) -> (files: [String], errors: [FlowlogError]) {
        let diagnostics = LoadDiagnostics()
        let files = expand(paths: paths, diagnostics: diagnostics)
        return (files, diagnostics.errors)
    }

    static func expand(paths: [String], diagnostics: LoadDiagnostics) -> [String] {
        var files: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.errors.append(FlowlogError(.fileNotFound, "no such file or directory", location: .init(file: path)))
                continue
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            var found: [String] = []
            if let walker = fm.enumerator(atPath: path) {
                for case let relative as String in walker {
                    let lower = relative.lowercased()
                    guard lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") || lower.hasSuffix(".json") else { continue }
                    let full = (path as NSString).appendingPathComponent(relative)
                    var sub: ObjCBool = false
                    if fm.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue { found.append(full) }
                }
            }
            files.append(contentsOf: found.sorted())
        }
        return files
    }
}
