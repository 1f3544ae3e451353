/// Section 5 ("Policies") of the CIS Kubernetes Benchmark v1.9.0: numbers, titles and whether
/// the benchmark assesses each recommendation as Automated (reported as scored) or Manual.
/// Remediations are flowlog's own wording.
enum CISCatalog {
    static let benchmark = "CIS Kubernetes Benchmark v1.9.0"

    struct Control: Sendable {
        let number: String
        let title: String
        let scored: Bool
        let remediation: String
        var section: String { String(number[..<number.lastIndex(of: ".")!]) }
    }

    static let sections: [String: String] = [
        "5.1": "RBAC and Service Accounts", "5.2": "Pod Security Standards", "5.3": "Network Policies and CNI",
        "5.4": "Secrets Management", "5.5": "Extensible Admission Control", "5.7": "General Policies",
    ]

    static let controls: [Control] = [
        Control(number: "5.1.1", title: "Ensure that the cluster-admin role is only used where required", scored: true,
                remediation: "Bind the subjects to a narrower role, then delete the binding to cluster-admin."),
        Control(number: "5.1.2", title: "Minimize access to secrets", scored: true,
                remediation: "Remove get, list and watch on secrets from roles bound to broad groups; grant them to named service accounts only where needed."),
        Control(number: "5.1.3", title: "Minimize wildcard use in Roles and ClusterRoles", scored: true,
                remediation: "Replace \"*\" in apiGroups, resources and verbs with the specific groups, resources and verbs the subjects need."),
        Control(number: "5.1.4", title: "Minimize access to create pods", scored: true,
                remediation: "Remove create on pods from roles bound to broad groups; grant it to the controllers and people that need it."),
        Control(number: "5.1.5", title: "Ensure that default service accounts are not actively used", scored: true,
                remediation: "Set automountServiceAccountToken: false on every namespace's default ServiceAccount, bind no roles to it, and give workloads their own service accounts."),
        Control(number: "5.1.6", title: "Ensure that Service Account Tokens are only mounted where necessary", scored: true,
                remediation: "Set automountServiceAccountToken: false on pods (or their service accounts) that do not call the Kubernetes API."),
        Control(number: "5.1.7", title: "Avoid use of system:masters group", scored: false,
                remediation: "Bind no role to the system:masters group and issue no client certificates with O=system:masters."),
        Control(number: "5.1.8", title: "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster", scored: false,
                remediation: "Remove the bind, impersonate and escalate verbs from roles unless the subject administers RBAC."),
        Control(number: "5.1.9", title: "Minimize access to create persistent volumes", scored: false,
                remediation: "Remove create on persistentvolumes from roles that do not administer storage."),
        Control(number: "5.1.10", title: "Minimize access to the proxy sub-resource of nodes", scored: false,
                remediation: "Remove access to nodes/proxy; it reaches the kubelet API directly."),
        Control(number: "5.1.11", title: "Minimize access to the approval sub-resource of certificatesigningrequests objects", scored: false,
                remediation: "Remove update on certificatesigningrequests/approval from roles that do not approve certificates."),
        Control(number: "5.1.12", title: "Minimize access to webhook configuration objects", scored: false,
                remediation: "Remove write access to validating and mutating webhook configurations from roles that do not manage admission."),
        Control(number: "5.1.13", title: "Minimize access to the service account token creation", scored: false,
                remediation: "Remove create on serviceaccounts/token from roles that do not mint tokens."),
        Control(number: "5.2.1", title: "Ensure that the cluster has at least one active policy control mechanism in place", scored: false,
                remediation: "Label every namespace with user workloads pod-security.kubernetes.io/enforce=baseline or restricted."),
        Control(number: "5.2.2", title: "Minimize the admission of privileged containers", scored: false,
                remediation: "Enforce at least baseline in namespaces with user workloads, and remove securityContext.privileged=true."),
        Control(number: "5.2.3", title: "Minimize the admission of containers wishing to share the host process ID namespace", scored: false,
                remediation: "Enforce at least baseline in namespaces with user workloads, and remove hostPID: true."),
        Control(number: "5.2.4", title: "Minimize the admission of containers wishing to share the host IPC namespace", scored: false,
                remediation: "Enforce at least baseline in namespaces with user workloads, and remove hostIPC: true."),
        Control(number: "5.2.5", title: "Minimize the admission of containers wishing to share the host network namespace", scored: false,
                remediation: "Enforce at least baseline in namespaces with user workloads, and remove hostNetwork: true."),
        Control(number: "5.2.6", title: "Minimize the admission of containers with allowPrivilegeEscalation", scored: false,
                remediation: "Enforce restricted, and set securityContext.allowPrivilegeEscalation: false on every container."),
        Control(number: "5.2.7", title: "Minimize the admission of root containers", scored: false,
                remediation: "Enforce restricted, set runAsNonRoot: true and never runAsUser: 0."),
        Control(number: "5.2.8", title: "Minimize the admission of containers with the NET_RAW capability", scored: false,
                remediation: "Enforce restricted, and drop ALL (or at least NET_RAW) capabilities in every container."),
        Control(number: "5.2.9", title: "Minimize the admission of containers with added capabilities", scored: false,
                remediation: "Enforce restricted, and add no capabilities other than NET_BIND_SERVICE."),
        Control(number: "5.2.10", title: "Minimize the admission of containers with capabilities assigned", scored: false,
                remediation: "Enforce restricted, and drop ALL capabilities in every container."),
        Control(number: "5.2.11", title: "Minimize the admission of Windows HostProcess containers", scored: false,
                remediation: "Enforce at least baseline, and remove windowsOptions.hostProcess: true."),
        Control(number: "5.2.12", title: "Minimize the admission of HostPath volumes", scored: false,
                remediation: "Enforce at least baseline, and replace hostPath volumes."),
        Control(number: "5.2.13", title: "Minimize the admission of containers which use HostPorts", scored: false,
                remediation: "Enforce at least baseline, and expose ports through Services instead of hostPort."),
        Control(number: "5.3.1", title: "Ensure that the CNI in use supports NetworkPolicies", scored: false,
                remediation: "Run a CNI that enforces NetworkPolicy (Calico does)."),
        Control(number: "5.3.2", title: "Ensure that all Namespaces have NetworkPolicies defined", scored: false,
                remediation: "Give every namespace a default-deny policy for ingress and egress (a NetworkPolicy with podSelector: {} and both policyTypes, or a Calico policy ending in deny), then allow what is needed."),
        Control(number: "5.4.1", title: "Prefer using Secrets as files over Secrets as environment variables", scored: false,
                remediation: "Mount secrets as volumes instead of env[].valueFrom.secretKeyRef and envFrom[].secretRef."),
        Control(number: "5.4.2", title: "Consider external secret storage", scored: false,
                remediation: "Keep secrets in an external store (a KMS-backed provider or a secrets manager) and sync them in."),
        Control(number: "5.5.1", title: "Configure Image Provenance using ImagePolicyWebhook admission controller", scored: false,
                remediation: "Enable an image provenance admission controller on the API server."),
        Control(number: "5.7.1", title: "Create administrative boundaries between resources using namespaces", scored: false,
                remediation: "Put each team or application in its own namespace."),
        Control(number: "5.7.2", title: "Ensure that the seccomp profile is set to docker/default in your Pod definitions", scored: false,
                remediation: "Set securityContext.seccompProfile.type: RuntimeDefault on pods."),
        Control(number: "5.7.3", title: "Apply SecurityContext to your Pods and Containers", scored: false,
                remediation: "Give every pod and container a securityContext (runAsNonRoot, allowPrivilegeEscalation: false, capabilities drop ALL, seccompProfile)."),
        Control(number: "5.7.4", title: "The default namespace should not be used", scored: false,
                remediation: "Move workloads and services out of the default namespace."),
    ]

    static func control(_ number: String) -> Control { controls.first { $0.number == number }! }
}
