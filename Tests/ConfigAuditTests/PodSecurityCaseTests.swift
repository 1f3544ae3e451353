import ConfigAudit
import FlowCore
import Testing

/// Cases the Kubernetes fixtures do not cover: other workload kinds, ephemeral containers,
/// multi-document and List files, levels from namespace labels, messages and errors.
@Suite struct PodSecurityCaseTests {
    static func audit(_ text: String, policy: PodSecurityPolicy? = nil, version: PodSecurityVersion? = nil) -> PodSecurityAudit {
        var reader = ManifestReader()
        reader.read(text: text, file: "input.yaml")
        return PodSecurityAudit(objects: reader.objects, policy: policy, version: version, problems: reader.problems)
    }

    static let restricted = PodSecurityPolicy(level: .restricted)
    static let baseline = PodSecurityPolicy(level: .baseline)

    static let privilegedSpec = """
        spec:
          containers:
          - name: app
            image: registry.example/app
            securityContext:
              privileged: true
        """

    static func indent(_ text: String, by spaces: Int) -> String {
        text.split(separator: "\n").map { String(repeating: " ", count: spaces) + $0 }.joined(separator: "\n")
    }

    @Test(arguments: [
        ("apps/v1", "Deployment", "spec:\n  template:\n", 4),
        ("apps/v1", "ReplicaSet", "spec:\n  template:\n", 4),
        ("apps/v1", "StatefulSet", "spec:\n  template:\n", 4),
        ("apps/v1", "DaemonSet", "spec:\n  template:\n", 4),
        ("batch/v1", "Job", "spec:\n  template:\n", 4),
        ("v1", "ReplicationController", "spec:\n  template:\n", 4),
        ("batch/v1", "CronJob", "spec:\n  jobTemplate:\n    spec:\n      template:\n", 8),
        ("v1", "PodTemplate", "template:\n", 2),
    ])
    func everyWorkloadKindIsJudgedByItsPodTemplate(apiVersion: String, kind: String, prefix: String, depth: Int) throws {
        let text = "apiVersion: \(apiVersion)\nkind: \(kind)\nmetadata:\n  name: w\n  namespace: team\n\(prefix)\(Self.indent(Self.privilegedSpec, by: depth))\n"
        let audit = Self.audit(text, policy: Self.baseline)
        #expect(audit.errors.isEmpty, "\(audit.errors)")
        let result = try #require(audit.results.first)
        #expect(result.kind == kind && result.namespace == "team" && result.name == "w")
        #expect(!result.allowed)
        #expect(result.violations.map(\.check) == ["privileged"])
        #expect(result.violations[0].message == "privileged (container \"app\" must not set securityContext.privileged=true)")
    }

    @Test func objectsWithoutPodsAreNotJudged() {
        let audit = Self.audit("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n", policy: Self.restricted)
        #expect(audit.results.isEmpty && audit.errors.isEmpty)
    }

    @Test func ephemeralContainersAreChecked() throws {
        let text = """
            apiVersion: v1
            kind: Pod
            metadata: {name: p, namespace: ns}
            spec:
              containers:
              - name: app
              ephemeralContainers:
              - name: debugger
                securityContext:
                  capabilities:
                    add: [SYS_PTRACE]
            """
        let result = try #require(Self.audit(text, policy: Self.baseline).results.first)
        #expect(result.violations.map(\.message) == [
            "non-default capabilities (container \"debugger\" must not include \"SYS_PTRACE\" in securityContext.capabilities.add)",
        ])
    }

    @Test func multiDocumentAndListFilesGiveOneResultPerObjectInOrder() {
        let text = """
            apiVersion: v1
            kind: Pod
            metadata: {name: first}
            spec: {containers: [{name: a}]}
            ---
            ---
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Pod
              metadata: {name: second, namespace: x}
              spec: {hostIPC: true, hostPID: true, containers: [{name: a}]}
            - apiVersion: apps/v1
              kind: Deployment
              metadata: {name: third, namespace: x}
              spec: {template: {spec: {containers: [{name: a, ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 81, hostPort: 10443}]}]}}}
            """
        let audit = Self.audit(text, policy: Self.baseline)
        #expect(audit.errors.isEmpty)
        #expect(audit.results.map(\.name) == ["first", "second", "third"])
        #expect(audit.results.map(\.allowed) == [true, false, false])
        #expect(audit.results[0].namespace == "default")
        #expect(audit.results[1].violations.map(\.message) == ["host namespaces (hostIPC, hostPID)"])
        #expect(audit.results[2].violations.map(\.message) == ["hostPort (container \"a\" uses hostPorts 10443, 8080)"])
    }

    static let labelledCluster = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: strict
          labels:
            pod-security.kubernetes.io/enforce: restricted
            pod-security.kubernetes.io/enforce-version: v1.22
            pod-security.kubernetes.io/audit: restricted
            pod-security.kubernetes.io/warn: baseline
            pod-security.kubernetes.io/warn-version: v1.30
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: loose
          labels: {pod-security.kubernetes.io/enforce: baseline}
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: typo
          labels: {pod-security.kubernetes.io/enforce: restrictd, pod-security.kubernetes.io/enforce-version: "1.30"}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: root, namespace: strict}
        spec:
          containers: [{name: app, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: root, namespace: loose}
        spec:
          containers: [{name: app}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: root, namespace: typo}
        spec:
          containers: [{name: app}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: root, namespace: unlabelled}
        spec:
          hostNetwork: true
          containers: [{name: app}]
        """

    @Test func withoutALevelEachObjectIsJudgedAtItsNamespacesEnforceLabel() {
        let audit = Self.audit(Self.labelledCluster)
        let byNamespace = Dictionary(uniqueKeysWithValues: audit.results.map { ($0.namespace, $0) })
        // restricted at v1.22: no seccomp requirement before... it exists from v1.19, runAsNonRoot from v1.0.
        #expect(byNamespace["strict"]?.policy.description == "restricted:v1.22")
        #expect(byNamespace["strict"]?.violations.map(\.check) == ["runAsNonRoot", "seccompProfile_restricted"])
        #expect(byNamespace["loose"]?.policy.description == "baseline:latest")
        #expect(byNamespace["loose"]?.allowed == true)
        // An invalid level reads as restricted, an invalid version as latest.
        #expect(byNamespace["typo"]?.policy.description == "restricted:latest")
        #expect(byNamespace["typo"]?.allowed == false)
        // No Namespace object: privileged, which admits a host-network pod.
        #expect(byNamespace["unlabelled"]?.policy.description == "privileged:latest")
        #expect(byNamespace["unlabelled"]?.allowed == true)

        let strict = audit.namespaces.first { $0.name == "strict" }
        #expect(strict?.labels.audit?.description == "restricted:latest")
        #expect(strict?.labels.warn?.description == "baseline:v1.30")
        #expect(strict?.rejected == 1 && strict?.objects == 1 && strict?.rejectedObjects == ["Pod root"])
        // With an explicit level, the namespaces are still judged at their own.
        let atBaseline = Self.audit(Self.labelledCluster, policy: Self.baseline)
        #expect(atBaseline.results.first { $0.namespace == "strict" }?.allowed == true)
        #expect(atBaseline.namespaces.first { $0.name == "strict" }?.rejectedObjects == ["Pod root"])
        #expect(PodSecurityReport.text(atBaseline).contains("  strict: enforce restricted:v1.22, audit restricted:latest, warn baseline:v1.30; 1 of 1 rejected\n    rejected: Pod root"))
        let typo = audit.namespaces.first { $0.name == "typo" }
        #expect(typo?.labels.problems.count == 2)
        #expect(audit.namespaces.first { $0.name == "unlabelled" }?.defined == false)
    }

    @Test func aVersionAloneOverridesTheNamespacesVersions() {
        let audit = Self.audit(Self.labelledCluster, version: .v1(18))
        let strict = audit.results.first { $0.namespace == "strict" }
        // seccompProfile_restricted only exists from v1.19.
        #expect(strict?.policy.description == "restricted:v1.18")
        #expect(strict?.violations.map(\.check) == ["runAsNonRoot"])
    }

    @Test func versionsParseAsKubernetesWritesThem() {
        #expect(PodSecurityVersion(label: "latest") == .latest)
        #expect(PodSecurityVersion(label: "v1.0") == .v1(0))
        #expect(PodSecurityVersion(label: "v1.37") == .v1(37))
        #expect(PodSecurityVersion(label: "v1.999") == .v1(999))
        for bad in ["1.30", "v2.0", "v1.", "v1.01", "v1.3a", "v1.-1", "", "v1.99999"] {
            #expect(PodSecurityVersion(label: bad) == nil, "\(bad)")
        }
        // Versions past the newest defined one behave as it.
        let pod = PodSpecModel()
        #expect(PodSecurityPolicy(level: .restricted, version: .v1(999)).evaluate(pod) == PodSecurityPolicy(level: .restricted).evaluate(pod))
    }

    @Test func userNamespacePodsAreRelaxedFromV1_35() throws {
        let text = """
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              hostUsers: false
              securityContext: {seccompProfile: {type: RuntimeDefault}, runAsUser: 0}
              containers:
              - name: app
                securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, procMount: Unmasked}
            """
        let v134 = try #require(Self.audit(text, policy: PodSecurityPolicy(level: .restricted, version: .v1(34))).results.first)
        #expect(v134.violations.map(\.check) == ["procMount", "runAsNonRoot", "runAsUser"])
        let latest = try #require(Self.audit(text, policy: Self.restricted).results.first)
        #expect(latest.violations.map(\.check) == ["procMount_restricted"])
        let baseline = try #require(Self.audit(text, policy: Self.baseline).results.first)
        #expect(baseline.allowed)
    }

    @Test func messagesNameEveryOffenderAsKubernetesDoes() throws {
        let text = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: p
              annotations:
                container.apparmor.security.beta.kubernetes.io/app: unconfined
            spec:
              securityContext:
                seLinuxOptions: {type: spc_t, user: root}
                sysctls: [{name: kernel.msgmax, value: "1"}, {name: net.ipv4.tcp_syncookies, value: "1"}]
                windowsOptions: {hostProcess: true}
              volumes:
              - name: host
                hostPath: {path: /}
              - name: nfs
                nfs: {server: s, path: /}
              containers:
              - name: app
                securityContext: {procMount: Unmasked, runAsUser: 0, seccompProfile: {type: Unconfined}}
                livenessProbe: {httpGet: {host: 10.0.0.1, port: 80}}
            """
        let result = try #require(Self.audit(text, policy: Self.restricted).results.first)
        let messages = Dictionary(uniqueKeysWithValues: result.violations.map { ($0.check, $0.message) })
        #expect(messages["appArmorProfile"] == "forbidden AppArmor profile (annotation must not set AppArmor profile type to \"container.apparmor.security.beta.kubernetes.io/app=\"unconfined\"\")")
        #expect(messages["seLinuxOptions"] == "seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type \"spc_t\"; user may not be set)")
        #expect(messages["sysctls"] == "forbidden sysctls (kernel.msgmax)")
        #expect(messages["windowsHostProcess"] == "hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)")
        #expect(messages["restrictedVolumes"] == "restricted volume types (volumes [\"host\" \"nfs\"] have restricted types)")
        #expect(messages["hostPathVolumes"] == nil)
        #expect(messages["procMount_restricted"] == "procMount (container \"app\" must not set securityContext.procMount to \"Unmasked\")")
        #expect(messages["runAsUser"] == "runAsUser=0 (container \"app\" must not set runAsUser=0)")
        #expect(messages["seccompProfile_restricted"] == "seccompProfile (container \"app\" must not set securityContext.seccompProfile.type to \"Unconfined\")")
        #expect(messages["hostProbesAndHostLifecycle"] == "probe or lifecycle host (container \"app\" uses probe or lifecycle host \"10.0.0.1\")")
        // Checks appear in check-id order.
        #expect(result.violations.map(\.check) == result.violations.map(\.check).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }

    @Test func badInputNamesFileLineColumnAndFieldAndTheObjectIsNotJudged() throws {
        let text = """
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              hostPID: "yes"
              containers:
              - name: c
                securityContext: {runAsUser: lots}
            """
        let audit = Self.audit(text, policy: Self.baseline)
        #expect(audit.results.isEmpty)
        let first = try #require(audit.errors.first)
        #expect(first.location?.file == "input.yaml" && first.location?.line == 5 && first.location?.column == 12)
        #expect(first.location?.field == "spec.hostPID")
        #expect(first.message.contains("expected true or false"))
        let second = try #require(audit.errors.dropFirst().first)
        #expect(second.location?.line == 8 && second.location?.field == "spec.containers[0].securityContext.runAsUser")
    }

    @Test func syntaxErrorsAndLimitsAreReportedWithPositions() throws {
        let syntax = Self.audit("apiVersion: v1\nkind: Pod\nmetadata: {name: [\n")
        #expect(syntax.errors.first?.location?.line != nil)
        #expect(syntax.errors.first?.code == .parse)

        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        let nested = Self.audit("a: \(deep)\n")
        let error = try #require(nested.errors.first)
        #expect(error.message.contains("nested more than 64 levels deep"))
        #expect(error.location?.file == "input.yaml" && error.location?.line == 1 && error.location?.column != nil)

        // Aliases that would expand past the budget are refused before any node is built.
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...8 { bomb += "l\(level): &l\(level) [" + Array(repeating: "*\(level == 1 ? "a" : "l\(level - 1)")", count: 10).joined(separator: ", ") + "]\n" }
        let expanded = Self.audit(bomb)
        #expect(expanded.errors.first?.location?.line != nil)

        var reader = ManifestReader(limits: ManifestLimits(maxFileBytes: 10))
        reader.read(text: "apiVersion: v1\n", file: "big.yaml")
        #expect(reader.errors.first?.message.contains("at most 10") == true)

        let missing = Self.audit("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 1}\n")
        #expect(missing.errors.first?.message.contains("spec.template") == true)
    }
}
