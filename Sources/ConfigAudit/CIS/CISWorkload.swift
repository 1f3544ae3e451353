/// A Pod or pod template with what the CIS section 5 tests read from it.
struct CISWorkload: Sendable {
    let kind: String
    let namespace: String
    let name: String
    let pod: PodSpecModel
    /// The pod's (or template's) labels: what policies select.
    let labels: [String: String]
    let serviceAccount: String
    let automountServiceAccountToken: Bool?
    /// Containers that take secrets into environment variables.
    let secretEnvironment: [String]
    /// Whether the pod or any container sets a securityContext at all.
    let hasSecurityContext: Bool

    var reference: String { "\(kind) \(namespace)/\(name)" }

    static let systemNamespaces: Set<String> = ["kube-system", "kube-public", "kube-node-lease"]
    var isUserWorkload: Bool { !Self.systemNamespaces.contains(namespace) }

    static func all(in objects: [ManifestObject]) -> [CISWorkload] {
        PodSecurityAudit.workloadTemplates(in: objects).map { w in
            let annotations = w.template.object("metadata")?.stringMap("annotations") ?? [:]
            let pod = PodSpecModel(spec: w.spec, annotations: annotations)
            var secretEnv: [String] = []
            var anyContext = w.spec.object("securityContext") != nil
            for key in ["initContainers", "containers", "ephemeralContainers"] {
                for container in w.spec.list(key) where container.isMapping {
                    if container.object("securityContext") != nil { anyContext = true }
                    let fromEnv = container.list("env").contains { $0.object("valueFrom")?.object("secretKeyRef") != nil }
                    let fromEnvFrom = container.list("envFrom").contains { $0.object("secretRef") != nil }
                    if fromEnv || fromEnvFrom { secretEnv.append(container.string("name") ?? "") }
                }
            }
            let account = w.spec.string("serviceAccountName") ?? w.spec.string("serviceAccount") ?? ""
            return CISWorkload(kind: w.object.kind, namespace: w.namespace, name: w.object.name, pod: pod,
                               labels: w.template.object("metadata")?.stringMap("labels") ?? [:],
                               serviceAccount: account.isEmpty ? "default" : account,
                               automountServiceAccountToken: w.spec.bool("automountServiceAccountToken"),
                               secretEnvironment: secretEnv, hasSecurityContext: anyContext)
        }
    }
}
