import FlowCore
import Policy

/// The objects alive at one instant, as manifests the policy stage loads.
public struct AuditState: Sendable {
    public let instant: Timestamp
    public let objects: [ObjectKey: JSONValue]

    public init(instant: Timestamp, objects: [ObjectKey: JSONValue]) {
        self.instant = instant
        self.objects = objects
    }

    /// Objects in a stable order: namespaces first, then by kind, namespace and name.
    public var orderedObjects: [(key: ObjectKey, object: JSONValue)] {
        objects.sorted { left, right in
            let l = Self.rank(left.key.resource), r = Self.rank(right.key.resource)
            return l != r ? l < r : left.key < right.key
        }.map { ($0.key, Self.manifest($0.value, resource: $0.key.resource)) }
    }

    private static func rank(_ resource: AuditedResource) -> Int {
        AuditedResource.all.firstIndex(of: resource).map { resource.resource == "namespaces" ? -1 : $0 } ?? 99
    }

    /// The object with `apiVersion` and `kind` filled in (responses usually carry them; request
    /// bodies sometimes do not) and its status kept: pod IPs live there.
    static func manifest(_ object: JSONValue, resource: AuditedResource) -> JSONValue {
        var result = object
        if result["kind"] == nil { result = result.setting("kind", to: .string(resource.kind)) }
        if result["apiVersion"] == nil { result = result.setting("apiVersion", to: .string(resource.defaultAPIVersion)) }
        return result
    }

    /// Multi-document YAML, one object a document.
    public func yamlManifests() -> String {
        orderedObjects.map { "---\n" + YAMLText.document($0.object) }.joined()
    }

    /// The state as a `Cluster`, exactly as `--cluster` would load the same manifests.
    public func cluster() throws -> Cluster {
        try ClusterLoader.load(text: yamlManifests(), name: "audit state at \(instant.rfc3339)")
    }
}
