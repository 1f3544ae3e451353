/// Section 5 judged from API objects: RBAC and service accounts, pod security, secrets and
/// general policies (5.3.2 is `CISNetworkIsolation`).
struct CISPolicyControls {
    let objects: [ManifestObject]
    let workloads: [CISWorkload]
    let rbac: RBACModel
    /// Namespace name → its labels' policies, for namespaces defined in the input.
    let namespaceLabels: [String: NamespaceSecurityLabels]

    init(objects: [ManifestObject]) {
        self.objects = objects
        workloads = CISWorkload.all(in: objects)
        rbac = RBACModel(objects: objects)
        var labels: [String: NamespaceSecurityLabels] = [:]
        for o in objects where o.kind == "Namespace" && o.group.isEmpty { labels[o.name] = NamespaceSecurityLabels(labels: o.labels) }
        namespaceLabels = labels
    }

    func result(_ number: String, _ status: CISStatus, _ offenders: [CISOffender]) -> CISTestResult {
        let control = CISCatalog.control(number)
        return CISTestResult(node: "cluster", number: number, section: control.section, sectionTitle: CISCatalog.sections[control.section] ?? "",
                             title: control.title, scored: control.scored, status: status, offenders: offenders,
                             remediation: control.remediation, source: .apiObjects)
    }

    /// PASS with no offenders, else `failing`.
    func judged(_ number: String, _ offenders: [CISOffender], failing: CISStatus = .fail) -> CISTestResult {
        result(number, offenders.isEmpty ? .pass : failing, offenders)
    }

    func all() -> [CISTestResult] {
        rbacControls() + podSecurityControls() + [cni(), secretsInEnvironment(),
            result("5.4.2", .info, [CISOffender(object: "cluster", detail: "where secrets are stored cannot be seen in API objects")]),
            result("5.5.1", .info, [CISOffender(object: "cluster", detail: "API server admission plugins cannot be seen in API objects")])]
            + generalControls()
    }

    // MARK: - 5.1 RBAC and service accounts

    func rbacControls() -> [CISTestResult] {
        var out: [CISTestResult] = []
        out.append(judged("5.1.1", rbac.bindings.filter { $0.roleKind == "ClusterRole" && $0.roleName == "cluster-admin" && $0.name != "cluster-admin" && !$0.isBuiltIn }.map {
            CISOffender(object: $0.reference, detail: "binds cluster-admin to \($0.subjects.map(\.description).joined(separator: ", "))")
        }))
        out.append(grantControl("5.1.2", verbs: ["get", "list", "watch"], group: "", resource: "secrets", broadFails: true))
        var wildcards: [CISOffender] = []
        for role in rbac.roles where !role.name.hasPrefix("system:") && role.name != "cluster-admin" {
            for (index, rule) in role.rules.enumerated() where rule.usesWildcard {
                wildcards.append(CISOffender(object: role.reference, detail: "rules[\(index)] uses \"*\" (apiGroups \(rule.apiGroups), resources \(rule.resources), verbs \(rule.verbs))"))
            }
        }
        out.append(judged("5.1.3", wildcards))
        out.append(grantControl("5.1.4", verbs: ["create"], group: "", resource: "pods", broadFails: true))
        out.append(defaultServiceAccounts())
        out.append(tokenMounts())
        out.append(judged("5.1.7", rbac.bindings.filter { b in b.name != "cluster-admin" && b.subjects.contains { $0.kind == "Group" && $0.name == "system:masters" } }.map {
            CISOffender(object: $0.reference, detail: "binds \($0.roleKind) \($0.roleName) to Group system:masters")
        }))
        var escalation: [RBACModel.Binding: [String]] = [:]
        var order: [RBACModel.Binding] = []
        for verb in ["bind", "escalate", "impersonate"] {
            for resource in ["roles", "clusterroles", "users", "groups", "serviceaccounts"] {
                for group in ["rbac.authorization.k8s.io", ""] {
                    for (binding, _) in rbac.grants(verbs: [verb], group: group, resource: resource) {
                        if escalation[binding] == nil { order.append(binding) }
                        let grant = "\(verb) on \(resource)"
                        if escalation[binding]?.contains(grant) != true { escalation[binding, default: []].append(grant) }
                    }
                }
            }
        }
        let escalationOffenders = order.map { b in
            CISOffender(object: b.reference, detail: "\(b.roleKind) \(b.roleName) grants \(escalation[b]!.joined(separator: ", ")) to \(b.subjects.map(\.description).joined(separator: ", "))")
        }
        out.append(judged("5.1.8", escalationOffenders, failing: .warn))
        out.append(grantControl("5.1.9", verbs: ["create"], group: "", resource: "persistentvolumes", broadFails: false))
        out.append(grantControl("5.1.10", verbs: ["get", "create", "update", "patch", "delete"], group: "", resource: "nodes/proxy", broadFails: false))
        out.append(grantControl("5.1.11", verbs: ["update", "patch"], group: "certificates.k8s.io", resource: "certificatesigningrequests/approval", broadFails: false))
        let webhooks = ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"].flatMap {
            grantOffenders(verbs: ["create", "update", "patch", "delete"], group: "admissionregistration.k8s.io", resource: $0)
        }
        out.append(judged("5.1.12", unique(webhooks), failing: .warn))
        out.append(grantControl("5.1.13", verbs: ["create"], group: "", resource: "serviceaccounts/token", broadFails: false))
        return out
    }

    func grantOffenders(verbs: [String], group: String, resource: String) -> [CISOffender] {
        rbac.grants(verbs: verbs, group: group, resource: resource).map { binding, role in
            CISOffender(object: binding.reference, detail: "\(role.reference) grants \(verbs.joined(separator: "/")) on \(resource) to \(binding.subjects.map(\.description).joined(separator: ", "))")
        }
    }

    /// FAIL when a broad group gets the permission (with `broadFails`), WARN when named subjects
    /// do (to review: "minimize" is a judgement), PASS when nobody outside Kubernetes' own bindings does.
    func grantControl(_ number: String, verbs: [String], group: String, resource: String, broadFails: Bool) -> CISTestResult {
        let grants = rbac.grants(verbs: verbs, group: group, resource: resource)
        let offenders = grantOffenders(verbs: verbs, group: group, resource: resource)
        if grants.isEmpty { return result(number, .pass, []) }
        let broad = grants.contains { $0.binding.subjects.contains(where: RBACModel.isBroad) }
        return result(number, broad && broadFails ? .fail : .warn, offenders)
    }

    func defaultServiceAccounts() -> CISTestResult {
        var offenders: [CISOffender] = []
        var seen: Set<String> = []
        for o in objects where o.kind == "ServiceAccount" && o.group.isEmpty && o.name == "default" {
            let ns = o.namespace.isEmpty ? "default" : o.namespace
            seen.insert(ns)
            if o.root.bool("automountServiceAccountToken") != false {
                offenders.append(CISOffender(object: "ServiceAccount \(ns)/default", detail: "automountServiceAccountToken is not false"))
            }
        }
        for ns in namespaceLabels.keys.sorted() where !seen.contains(ns) {
            offenders.append(CISOffender(object: "ServiceAccount \(ns)/default", detail: "created by Kubernetes with automountServiceAccountToken unset (no ServiceAccount object in the input)"))
        }
        for b in rbac.bindings where !b.isBuiltIn {
            for s in b.subjects where s.kind == "ServiceAccount" && s.name == "default" {
                offenders.append(CISOffender(object: b.reference, detail: "grants \(b.roleKind) \(b.roleName) to the default service account of \(s.namespace.isEmpty ? b.namespace : s.namespace)"))
            }
        }
        return judged("5.1.5", offenders)
    }

    func tokenMounts() -> CISTestResult {
        var accounts: [String: Bool?] = [:]
        for o in objects where o.kind == "ServiceAccount" && o.group.isEmpty {
            accounts["\(o.namespace.isEmpty ? "default" : o.namespace)/\(o.name)"] = o.root.bool("automountServiceAccountToken")
        }
        let offenders = workloads.compactMap { w -> CISOffender? in
            let accountSetting = accounts["\(w.namespace)/\(w.serviceAccount)"] ?? nil
            let mounted = w.automountServiceAccountToken ?? accountSetting ?? true
            guard mounted else { return nil }
            return CISOffender(object: w.reference, detail: "mounts the token of service account \(w.serviceAccount) (pod \(w.automountServiceAccountToken.map { "\($0)" } ?? "unset"), service account \(accountSetting.map { "\($0)" } ?? "unset"))")
        }
        return judged("5.1.6", offenders)
    }

    // MARK: - 5.2 Pod security

    func enforced(_ namespace: String) -> PodSecurityLevel { namespaceLabels[namespace]?.enforce?.level ?? .privileged }

    /// Namespaces with user workloads whose enforce level is below `level`.
    func admitting(below level: PodSecurityLevel) -> [CISOffender] {
        let namespaces = Set(workloads.filter(\.isUserWorkload).map(\.namespace)).sorted()
        return namespaces.filter { enforced($0) < level }.map {
            CISOffender(object: "Namespace \($0)", detail: "enforces \(enforced($0).rawValue); \(level.rawValue) or stricter would refuse this")
        }
    }

    func podControl(_ number: String, level: PodSecurityLevel, _ detail: String, _ matches: (PodSpecModel) -> Bool) -> CISTestResult {
        let pods = workloads.filter { $0.isUserWorkload && matches($0.pod) }.map { CISOffender(object: $0.reference, detail: detail) }
        return judged(number, admitting(below: level) + pods)
    }

    func podSecurityControls() -> [CISTestResult] {
        let userNamespaces = Set(workloads.filter(\.isUserWorkload).map(\.namespace)).sorted()
        let unlabelled = userNamespaces.filter { namespaceLabels[$0]?.enforce == nil || enforced($0) == .privileged }.map {
            CISOffender(object: "Namespace \($0)", detail: namespaceLabels[$0] == nil ? "no Namespace object in the input, so no pod-security.kubernetes.io/enforce label" : "no pod-security.kubernetes.io/enforce label above privileged")
        }
        func containers(_ pod: PodSpecModel, _ test: (ContainerModel) -> Bool) -> Bool { pod.containers.contains(where: test) }
        return [
            judged("5.2.1", unlabelled),
            podControl("5.2.2", level: .baseline, "runs a privileged container") { containers($0) { $0.securityContext?.privileged == true } },
            podControl("5.2.3", level: .baseline, "shares the host PID namespace") { $0.hostPID },
            podControl("5.2.4", level: .baseline, "shares the host IPC namespace") { $0.hostIPC },
            podControl("5.2.5", level: .baseline, "shares the host network namespace") { $0.hostNetwork },
            podControl("5.2.6", level: .restricted, "a container does not set allowPrivilegeEscalation: false") { containers($0) { $0.securityContext?.allowPrivilegeEscalation != false } },
            podControl("5.2.7", level: .restricted, "may run as root (runAsNonRoot not true, or runAsUser 0)") { RestrictedChecks.runAsNonRoot($0) != nil || RestrictedChecks.runAsUser($0) != nil },
            podControl("5.2.8", level: .restricted, "a container keeps or adds NET_RAW") {
                containers($0) { c in
                    let caps = c.securityContext?.capabilities
                    return caps?.add.contains("NET_RAW") == true || !(caps?.drop.contains { $0 == "ALL" || $0 == "NET_RAW" } ?? false)
                }
            },
            podControl("5.2.9", level: .restricted, "a container adds capabilities") { containers($0) { ($0.securityContext?.capabilities?.add ?? []).contains { $0 != "NET_BIND_SERVICE" } } },
            podControl("5.2.10", level: .restricted, "a container does not drop ALL capabilities") { containers($0) { !($0.securityContext?.capabilities?.drop.contains("ALL") ?? false) } },
            podControl("5.2.11", level: .baseline, "runs a Windows HostProcess container") { BaselineChecks.windowsHostProcess($0) != nil },
            podControl("5.2.12", level: .baseline, "mounts a hostPath volume") { BaselineChecks.hostPathVolumes($0) != nil },
            podControl("5.2.13", level: .baseline, "uses a hostPort") { containers($0) { !$0.hostPorts.isEmpty } },
        ]
    }

    // MARK: - 5.3.1, 5.4, 5.7

    func cni() -> CISTestResult {
        let calico = objects.contains { $0.group == "projectcalico.org" || $0.group == "crd.projectcalico.org" || ($0.kind == "DaemonSet" && $0.name == "calico-node") }
        if calico { return result("5.3.1", .pass, []) }
        return result("5.3.1", .info, [CISOffender(object: "cluster", detail: "no Calico resources in the input; the CNI cannot be identified from these objects")])
    }

    func secretsInEnvironment() -> CISTestResult {
        judged("5.4.1", workloads.filter { !$0.secretEnvironment.isEmpty }.map {
            CISOffender(object: $0.reference, detail: "\(PodSecurityWording.containers($0.secretEnvironment)) read secrets into environment variables")
        })
    }

    func generalControls() -> [CISTestResult] {
        let namespaces = Set(workloads.map(\.namespace)).sorted()
        let boundaries = result("5.7.1", .info, namespaces.map { ns in
            CISOffender(object: "Namespace \(ns)", detail: "\(workloads.filter { $0.namespace == ns }.count) workloads")
        })
        let seccomp = judged("5.7.2", workloads.filter { $0.isUserWorkload && RestrictedChecks.seccompProfile($0.pod) != nil }.map {
            CISOffender(object: $0.reference, detail: "seccompProfile is not RuntimeDefault or Localhost for the pod or every container")
        })
        let contexts = judged("5.7.3", workloads.filter { $0.isUserWorkload && !$0.hasSecurityContext }.map {
            CISOffender(object: $0.reference, detail: "neither the pod nor any container sets a securityContext")
        })
        var inDefault = workloads.filter { $0.namespace == "default" }.map { CISOffender(object: $0.reference, detail: "runs in the default namespace") }
        for o in objects where (o.namespace.isEmpty || o.namespace == "default") && o.kind == "Service" && o.group.isEmpty && o.name != "kubernetes" {
            inDefault.append(CISOffender(object: "Service default/\(o.name)", detail: "is in the default namespace"))
        }
        return [boundaries, seccomp, contexts, judged("5.7.4", inDefault)]
    }

    func unique(_ offenders: [CISOffender]) -> [CISOffender] {
        var seen: Set<CISOffender> = []
        return offenders.filter { seen.insert($0).inserted }
    }
}
