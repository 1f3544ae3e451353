/// One Kubernetes object read from a manifest file (a `List`'s items are objects of their own).
public struct ManifestObject {
    public let apiVersion: String
    public let kind: String
    public let name: String
    /// As written; empty when the manifest does not say (cluster-scoped or defaulted later).
    public let namespace: String
    public let root: ManifestNode

    /// `apiVersion`'s group: `apps` for `apps/v1`, empty for the core `v1`.
    public var group: String {
        let parts = apiVersion.split(separator: "/")
        return parts.count == 2 ? String(parts[0]) : ""
    }

    public var labels: [String: String] { root.child("metadata")?.stringMap("labels") ?? [:] }
    public var annotations: [String: String] { root.child("metadata")?.stringMap("annotations") ?? [:] }

    /// `Kind namespace/name`.
    public var reference: String { namespace.isEmpty ? "\(kind) \(name)" : "\(kind) \(namespace)/\(name)" }
}
