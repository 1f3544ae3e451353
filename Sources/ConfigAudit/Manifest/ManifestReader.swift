import FlowCore
import Policy

/// Reads Kubernetes objects from the same inputs the policy stage loads (files and directories
/// of YAML or JSON, multi-document, `kind: List`), keeping every node's position, within
/// `ManifestLimits`.
public struct ManifestReader {
    public let limits: ManifestLimits
    public let problems = ManifestProblems()
    public private(set) var objects: [ManifestObject] = []
    public private(set) var files: [String] = []

    public init(limits: ManifestLimits = .standard) {
        self.limits = limits
    }

    public var errors: [FlowlogError] { problems.errors }

    /// Reads every file under `paths` (directories recursively, as `ClusterLoader` does).
    public mutating func read(paths: [String]) {
        let (found, missing) = ClusterLoader.manifestFiles(paths: paths)
        for error in missing { problems.add(error) }
        for file in found { read(file: file) }
    }

    public mutating func read(file: String) {
        files.append(file)
        var documents = ManifestDocumentReader(limits: limits, problems: problems)
        add(documents.documents(path: file), file: file)
    }

    /// Reads manifests held in memory; `file` names them in errors.
    public mutating func read(text: String, file: String) {
        var documents = ManifestDocumentReader(limits: limits, problems: problems)
        add(documents.documents(text: text, file: file), file: file)
    }

    private mutating func add(_ documents: [ManifestNode], file: String) {
        var count = 0
        for document in documents {
            add(document, count: &count)
            if count > limits.maxObjects {
                problems.add(FlowlogError(.validation, "more than \(limits.maxObjects) objects in one file", location: .init(file: file)))
                return
            }
        }
    }

    private mutating func add(_ document: ManifestNode, count: inout Int) {
        if document.isNull { return }
        guard document.isMapping else {
            document.error("a manifest document must be a map with apiVersion and kind")
            return
        }
        guard let kind = document.string("kind"), !kind.isEmpty else {
            document.error("missing required field kind")
            return
        }
        let apiVersion = document.string("apiVersion") ?? ""
        if kind == "List" || (kind.hasSuffix("List") && document.child("items") != nil) {
            for item in document.list("items") {
                var scoped = item
                scoped.object = "\(kind) item \(item.path)"
                add(scoped, count: &count)
            }
            return
        }
        count += 1
        let metadata = document.object("metadata")
        let name = metadata?.string("name") ?? ""
        let namespace = metadata?.string("namespace") ?? ""
        var root = document
        root.object = namespace.isEmpty ? "\(kind) \(name)" : "\(kind) \(namespace)/\(name)"
        guard !name.isEmpty else {
            root.error("missing required field metadata.name")
            return
        }
        objects.append(ManifestObject(apiVersion: apiVersion, kind: kind, name: name, namespace: namespace, root: root))
    }
}
