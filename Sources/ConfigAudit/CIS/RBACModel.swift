/// Roles, ClusterRoles and their bindings, as the CIS RBAC recommendations need them.
public struct RBACModel: Sendable {
    public struct Rule: Sendable, Hashable {
        public var apiGroups: [String]
        public var resources: [String]
        public var verbs: [String]
        public var nonResourceURLs: [String]

        /// Whether the rule grants `verb` on `resource` (`pods`, `nodes/proxy`) in `group`.
        func grants(verb: String, group: String, resource: String) -> Bool {
            (verbs.contains("*") || verbs.contains(verb))
                && (apiGroups.contains("*") || apiGroups.contains(group))
                && (resources.contains("*") || resources.contains(resource) || resource.contains("/") && resources.contains(Self.anySubresource(of: resource)))
        }

        var usesWildcard: Bool { apiGroups.contains("*") || resources.contains("*") || verbs.contains("*") || nonResourceURLs.contains("*") }

        private static func anySubresource(of resource: String) -> String {
            resource.split(separator: "/").dropFirst().first.map { "*/\($0)" } ?? resource
        }
    }

    public struct Role: Sendable, Hashable {
        public var kind: String  // Role or ClusterRole
        public var namespace: String
        public var name: String
        public var rules: [Rule]
        public var reference: String { namespace.isEmpty ? "\(kind) \(name)" : "\(kind) \(namespace)/\(name)" }
    }

    public struct Subject: Sendable, Hashable, CustomStringConvertible {
        public var kind: String
        public var name: String
        public var namespace: String
        public var description: String { namespace.isEmpty ? "\(kind) \(name)" : "\(kind) \(namespace)/\(name)" }
    }

    public struct Binding: Sendable, Hashable {
        public var kind: String  // RoleBinding or ClusterRoleBinding
        public var namespace: String
        public var name: String
        public var roleKind: String
        public var roleName: String
        public var subjects: [Subject]
        public var reference: String { namespace.isEmpty ? "\(kind) \(name)" : "\(kind) \(namespace)/\(name)" }
        /// Bindings Kubernetes creates itself (`system:` names) are not the cluster operator's choices.
        public var isBuiltIn: Bool {
            name.hasPrefix("system:") || name.hasPrefix("kubeadm:") || (kind == "ClusterRoleBinding" && name == "cluster-admin" && subjects == [Subject(kind: "Group", name: "system:masters", namespace: "")])
        }
    }

    public var roles: [Role] = []
    public var bindings: [Binding] = []

    /// Groups every authenticated (or anonymous) caller or every service account belongs to.
    static let broadGroups: Set<String> = ["system:authenticated", "system:unauthenticated", "system:serviceaccounts"]

    static func isBroad(_ subject: Subject) -> Bool {
        subject.kind == "Group" && (broadGroups.contains(subject.name) || subject.name.hasPrefix("system:serviceaccounts:"))
    }

    func role(for binding: Binding) -> Role? {
        let namespace = binding.roleKind == "ClusterRole" ? "" : binding.namespace
        return roles.first { $0.kind == binding.roleKind && $0.name == binding.roleName && $0.namespace == namespace }
    }

    /// Bindings (other than Kubernetes' own) whose role grants any of `verbs` on `resource`.
    func grants(verbs: [String], group: String, resource: String) -> [(binding: Binding, role: Role)] {
        bindings.compactMap { binding in
            guard !binding.isBuiltIn, !binding.subjects.isEmpty, let role = role(for: binding) else { return nil }
            let granted = role.rules.contains { rule in verbs.contains { rule.grants(verb: $0, group: group, resource: resource) } }
            return granted ? (binding, role) : nil
        }
    }

    init(objects: [ManifestObject]) {
        for object in objects where object.group == "rbac.authorization.k8s.io" {
            switch object.kind {
            case "Role", "ClusterRole":
                let rules = object.root.list("rules").map { rule in
                    Rule(apiGroups: rule.stringList("apiGroups"), resources: rule.stringList("resources"),
                         verbs: rule.stringList("verbs"), nonResourceURLs: rule.stringList("nonResourceURLs"))
                }
                roles.append(Role(kind: object.kind, namespace: object.kind == "Role" ? (object.namespace.isEmpty ? "default" : object.namespace) : "",
                                  name: object.name, rules: rules))
            case "RoleBinding", "ClusterRoleBinding":
                guard let ref = object.root.object("roleRef") else {
                    object.root.error("missing required field roleRef")
                    continue
                }
                let subjects = object.root.list("subjects").map { s in
                    Subject(kind: s.string("kind") ?? "", name: s.string("name") ?? "", namespace: s.string("namespace") ?? "")
                }
                bindings.append(Binding(kind: object.kind, namespace: object.kind == "RoleBinding" ? (object.namespace.isEmpty ? "default" : object.namespace) : "",
                                        name: object.name, roleKind: ref.string("kind") ?? "", roleName: ref.string("name") ?? "", subjects: subjects))
            default:
                continue
            }
        }
    }
}
