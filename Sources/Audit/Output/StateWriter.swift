import Foundation
import FlowCore

/// `audit state` output: the state printed in a format, or written as manifests.
public struct StateWriter {
    public let state: AuditState

    public init(state: AuditState) {
        self.state = state
    }

    public func render(format: AuditOutputFormat) -> String {
        let objects = state.orderedObjects
        switch format {
        case .yaml: return state.yamlManifests()
        case .json: return listDocument().prettyText() + "\n"
        case .ndjson: return objects.map { $0.object.compactText + "\n" }.joined()
        case .table:
            return TextTable.render(header: ["OBJECT", "RESOURCE-VERSION"], rows: objects.map { entry in
                [entry.key.description, entry.object.value(at: "metadata.resourceVersion")?.stringValue ?? "-"]
            })
        case .csv:
            return TextTable.csv(header: ["object", "kind", "api_group", "namespace", "name", "resource_version"], rows: objects.map { entry in
                [entry.key.description, entry.key.resource.kind, entry.key.resource.group, entry.key.namespace, entry.key.name,
                 entry.object.value(at: "metadata.resourceVersion")?.stringValue ?? ""]
            })
        }
    }

    /// `kind: List` as kubectl prints it, which `--cluster` reads.
    func listDocument() -> JSONValue {
        .object([.init("apiVersion", .string("v1")), .init("kind", .string("List")),
                 .init("items", .array(state.orderedObjects.map(\.object)))])
    }

    /// Writes manifests to `path`: one file for `.yaml`/`.yml`/`.json`, else a directory with
    /// one YAML file per kind. Returns the files written.
    public func write(to path: String) throws -> [String] {
        let lower = path.lowercased()
        if lower.hasSuffix(".json") {
            try Self.writeFile(path, listDocument().prettyText() + "\n")
            return [path]
        }
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") {
            try Self.writeFile(path, state.yamlManifests())
            return [path]
        }
        try AuditFileSystem.createDirectory(path)
        var byResource: [(AuditedResource, [JSONValue])] = []
        for entry in state.orderedObjects {
            if let last = byResource.last, last.0 == entry.key.resource {
                byResource[byResource.count - 1].1.append(entry.object)
            } else {
                byResource.append((entry.key.resource, [entry.object]))
            }
        }
        var written: [String] = []
        for (rank, (resource, objects)) in byResource.enumerated() {
            let name = String(format: "%02d", rank) + "-" + resource.resource + "." + (resource.group.isEmpty ? "core" : resource.group) + ".yaml"
            let file = path + "/" + name
            try Self.writeFile(file, objects.map { "---\n" + YAMLText.document($0) }.joined())
            written.append(file)
        }
        return written
    }

    static func writeFile(_ path: String, _ text: String) throws {
        let file = try AuditAppendFile(path: path)
        try file.truncate(to: 0)
        try file.append(Array(text.utf8))
        try file.sync()
    }
}
