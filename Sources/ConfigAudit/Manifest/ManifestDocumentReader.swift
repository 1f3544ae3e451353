import FlowCore
import Foundation
import Policy
import Yams

/// Reads YAML or JSON documents with positions, within `ManifestLimits`: the one place the
/// configuration audit turns bytes into nodes (manifests, settings, kube-bench output, packs).
public struct ManifestDocumentReader {
    public let limits: ManifestLimits
    public let problems: ManifestProblems

    public init(limits: ManifestLimits = .standard, problems: ManifestProblems = ManifestProblems()) {
        self.limits = limits
        self.problems = problems
    }

    /// The documents of one file; problems (unreadable, too big, syntax) are recorded.
    public mutating func documents(path: String) -> [ManifestNode] {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = (attributes[.size] as? NSNumber)?.intValue else {
            problems.add(FlowlogError(.fileNotFound, "cannot read the file", location: .init(file: path)))
            return []
        }
        guard size <= limits.maxFileBytes else {
            problems.add(FlowlogError(.validation, "the file is \(size) bytes; at most \(limits.maxFileBytes) are read", location: .init(file: path)))
            return []
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            problems.add(FlowlogError(.io, "cannot read the file", location: .init(file: path)))
            return []
        }
        guard let text = String(data: data, encoding: .utf8) else {
            problems.add(FlowlogError(.parse, "not UTF-8 text", location: .init(file: path)))
            return []
        }
        return documents(text: text, file: path)
    }

    public mutating func documents(text: String, file: String) -> [ManifestNode] {
        if text.utf8.count > limits.maxFileBytes {
            problems.add(FlowlogError(.validation, "the input is \(text.utf8.count) bytes; at most \(limits.maxFileBytes) are read", location: .init(file: file)))
            return []
        }
        // The policy stage's pre-pass (libyaml's event parser, which cannot overflow the stack)
        // refuses deep nesting and alias bombs before Yams' recursive composer sees the text.
        do {
            _ = try YAMLPrecheck.check(text, file: file, depthLimit: limits.maxDepth)
        } catch let error as FlowlogError {
            problems.add(error)
            return []
        } catch {
            problems.add(FlowlogError(.parse, "\(error)", location: .init(file: file)))
            return []
        }
        var out: [ManifestNode] = []
        do {
            let parser = try Parser(yaml: text, resolver: .basic)
            while let document = try parser.nextRoot() {
                out.append(ManifestNode(node: document, path: "", file: file, object: "", problems: problems))
                if out.count > limits.maxObjects {
                    problems.add(FlowlogError(.validation, "more than \(limits.maxObjects) documents in one file", location: .init(file: file)))
                    return out
                }
            }
        } catch let error as YamlError {
            problems.add(Self.describe(error, file: file))
        } catch {
            problems.add(FlowlogError(.parse, "\(error)", location: .init(file: file)))
        }
        return out
    }

    static func describe(_ error: YamlError, file: String) -> FlowlogError {
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
}
