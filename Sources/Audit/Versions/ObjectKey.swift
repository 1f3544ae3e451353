/// One Kubernetes or Calico object: its resource, namespace ("" when cluster-scoped) and name.
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var resource: AuditedResource
    public var namespace: String
    public var name: String

    public init(resource: AuditedResource, namespace: String, name: String) {
        self.resource = resource
        self.namespace = resource.namespaced ? namespace : ""
        self.name = name
    }

    /// kubectl's form, qualified by API group so no two kinds share a name:
    /// `networkpolicy.projectcalico.org/shop/allow-web`, `pod/shop/frontend-1`.
    public var description: String {
        let type = resource.kind.lowercased() + (resource.group.isEmpty ? "" : "." + resource.group)
        return namespace.isEmpty ? "\(type)/\(name)" : "\(type)/\(namespace)/\(name)"
    }

    public static func < (l: ObjectKey, r: ObjectKey) -> Bool { l.description < r.description }

    /// Parses `KIND[/NAMESPACE]/NAME` with any kubectl type name (`gnp/deny-all`,
    /// `networkpolicies.networking.k8s.io/db/allow-shop`, `pod/shop/frontend-1`).
    public init(parsing text: String) throws(AuditArgumentError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw AuditArgumentError("'\(text)' is not KIND/NAME or KIND/NAMESPACE/NAME (e.g. pod/shop/frontend-1, gnp/deny-all)")
        }
        guard let resource = AuditedResource.find(typeName: parts[0]) else {
            throw AuditArgumentError("'\(parts[0])' is not a kind flowlog keeps versions of (\(AuditedResource.all.map(\.description).joined(separator: ", ")))")
        }
        if resource.namespaced && parts.count == 2 {
            throw AuditArgumentError("\(resource.kind) is namespaced: write \(parts[0])/NAMESPACE/\(parts[1])")
        }
        if !resource.namespaced && parts.count == 3 {
            throw AuditArgumentError("\(resource.kind) is cluster-scoped: write \(parts[0])/\(parts[2])")
        }
        self.init(resource: resource, namespace: parts.count == 3 ? parts[1] : "", name: parts[parts.count - 1])
    }
}

/// A bad argument to an audit command, said in the user's terms.
public struct AuditArgumentError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
