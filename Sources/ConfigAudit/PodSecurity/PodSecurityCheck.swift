/// One check of the standards: an id, the level it belongs to, its revisions by minimum policy
/// version, and the baseline checks it replaces at the restricted level.
struct PodSecurityCheck: Sendable {
    typealias Evaluate = @Sendable (PodSpecModel) -> (reason: String, detail: String)?

    struct Revision: Sendable {
        let minimumMinor: Int
        let evaluate: Evaluate
    }

    let id: String
    let level: PodSecurityLevel
    let revisions: [Revision]
    let overrides: [String]

    init(_ id: String, _ level: PodSecurityLevel, overrides: [String] = [], _ revisions: [(Int, Evaluate)]) {
        self.id = id
        self.level = level
        self.overrides = overrides
        self.revisions = revisions.map { Revision(minimumMinor: $0.0, evaluate: $0.1) }.sorted { $0.minimumMinor < $1.minimumMinor }
    }

    /// The revision in force at `minor`, if the check exists then.
    func revision(at minor: Int) -> Revision? { revisions.last { $0.minimumMinor <= minor } }
}

/// Every check, as pod-security-admission defines them, with the version each revision
/// appeared in (the policy versions `v1.0` … `v1.37`).
enum PodSecurityChecks {
    static let all: [PodSecurityCheck] = [
        // Baseline
        PodSecurityCheck("appArmorProfile", .baseline, [(0, BaselineChecks.appArmorProfile)]),
        PodSecurityCheck("capabilities_baseline", .baseline, [(0, BaselineChecks.capabilities)]),
        PodSecurityCheck("hostNamespaces", .baseline, [(0, BaselineChecks.hostNamespaces)]),
        PodSecurityCheck("hostPathVolumes", .baseline, [(0, BaselineChecks.hostPathVolumes)]),
        PodSecurityCheck("hostPorts", .baseline, [(0, BaselineChecks.hostPorts)]),
        PodSecurityCheck("hostProbesAndHostLifecycle", .baseline, [(34, BaselineChecks.probeAndLifecycleHosts)]),
        PodSecurityCheck("privileged", .baseline, [(0, BaselineChecks.privileged)]),
        PodSecurityCheck("procMount", .baseline, [(0, BaselineChecks.procMount), (35, BaselineChecks.procMountUnlessUserNamespace)]),
        PodSecurityCheck("seLinuxOptions", .baseline, [
            (0, { BaselineChecks.seLinuxOptions($0, allowed: BaselineChecks.seLinuxTypes1_0) }),
            (31, { BaselineChecks.seLinuxOptions($0, allowed: BaselineChecks.seLinuxTypes1_31) }),
        ]),
        PodSecurityCheck("seccompProfile_baseline", .baseline, [(0, BaselineChecks.seccompAnnotations), (19, BaselineChecks.seccompFields)]),
        PodSecurityCheck("sysctls", .baseline, [
            (0, { BaselineChecks.sysctls($0, allowed: BaselineChecks.sysctls1_0) }),
            (27, { BaselineChecks.sysctls($0, allowed: BaselineChecks.sysctls1_27) }),
            (29, { BaselineChecks.sysctls($0, allowed: BaselineChecks.sysctls1_29) }),
            (32, { BaselineChecks.sysctls($0, allowed: BaselineChecks.sysctls1_32) }),
            (37, { BaselineChecks.sysctls($0, allowed: BaselineChecks.sysctls1_37) }),
        ]),
        PodSecurityCheck("windowsHostProcess", .baseline, [(0, BaselineChecks.windowsHostProcess)]),
        // Restricted
        PodSecurityCheck("allowPrivilegeEscalation", .restricted, [
            (8, RestrictedChecks.allowPrivilegeEscalation),
            (25, RestrictedChecks.linuxOnly(RestrictedChecks.allowPrivilegeEscalation)),
        ]),
        PodSecurityCheck("capabilities_restricted", .restricted, overrides: ["capabilities_baseline"], [
            (22, RestrictedChecks.capabilities),
            (25, RestrictedChecks.linuxOnly(RestrictedChecks.capabilities)),
        ]),
        PodSecurityCheck("procMount_restricted", .restricted, overrides: ["procMount"], [(35, BaselineChecks.procMount)]),
        PodSecurityCheck("restrictedVolumes", .restricted, overrides: ["hostPathVolumes"], [(0, RestrictedChecks.volumes)]),
        PodSecurityCheck("runAsNonRoot", .restricted, [
            (0, RestrictedChecks.runAsNonRoot),
            (35, RestrictedChecks.unlessUserNamespace(RestrictedChecks.runAsNonRoot)),
        ]),
        PodSecurityCheck("runAsUser", .restricted, [
            (23, RestrictedChecks.runAsUser),
            (35, RestrictedChecks.unlessUserNamespace(RestrictedChecks.runAsUser)),
        ]),
        PodSecurityCheck("seccompProfile_restricted", .restricted, overrides: ["seccompProfile_baseline"], [
            (19, RestrictedChecks.seccompProfile),
            (25, RestrictedChecks.linuxOnly(RestrictedChecks.seccompProfile)),
        ]),
    ]

    /// The checks in force at `level` and policy version `minor`, each with its revision,
    /// ordered by check id (the order of pod-security-admission's messages).
    static func inForce(level: PodSecurityLevel, minor: Int) -> [(id: String, evaluate: PodSecurityCheck.Evaluate)] {
        guard level != .privileged else { return [] }
        var chosen: [(String, PodSecurityCheck.Revision)] = []
        var overridden: Set<String> = []
        for check in all where check.level <= level {
            guard let revision = check.revision(at: minor) else { continue }
            chosen.append((check.id, revision))
            if level == .restricted { overridden.formUnion(check.overrides) }
        }
        return chosen
            .filter { !overridden.contains($0.0) }
            .sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
            .map { ($0.0, $0.1.evaluate) }
    }
}
