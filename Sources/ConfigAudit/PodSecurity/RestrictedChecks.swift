/// The restricted checks (in addition to the baseline ones they do not replace).
enum RestrictedChecks {
    typealias Finding = BaselineChecks.Finding
    typealias W = PodSecurityWording

    /// From v1.25, Windows pods are exempt from the Linux-only restricted checks.
    static func linuxOnly(_ check: @escaping @Sendable (PodSpecModel) -> Finding?) -> @Sendable (PodSpecModel) -> Finding? {
        { pod in pod.isWindows ? nil : check(pod) }
    }

    /// From v1.35, pods in their own user namespace are not held to the non-root checks (KEP-127).
    static func unlessUserNamespace(_ check: @escaping @Sendable (PodSpecModel) -> Finding?) -> @Sendable (PodSpecModel) -> Finding? {
        { pod in pod.usesUserNamespace ? nil : check(pod) }
    }

    static func allowPrivilegeEscalation(_ pod: PodSpecModel) -> Finding? {
        let names = pod.containers.filter { $0.securityContext?.allowPrivilegeEscalation != false }.map(\.name)
        guard !names.isEmpty else { return nil }
        return ("allowPrivilegeEscalation != false", "\(W.containers(names)) must set securityContext.allowPrivilegeEscalation=false")
    }

    static func capabilities(_ pod: PodSpecModel) -> Finding? {
        var missingDropAll: [String] = []
        var adding: [String] = []
        var forbidden: [String] = []
        for c in pod.containers {
            guard let caps = c.securityContext?.capabilities else {
                missingDropAll.append(c.name)
                continue
            }
            if !caps.drop.contains("ALL") { missingDropAll.append(c.name) }
            let bad = caps.add.filter { $0 != "NET_BIND_SERVICE" }
            if !bad.isEmpty {
                adding.append(c.name)
                forbidden += bad
            }
        }
        var details: [String] = []
        if !missingDropAll.isEmpty { details.append("\(W.containers(missingDropAll)) must set securityContext.capabilities.drop=[\"ALL\"]") }
        if !adding.isEmpty {
            details.append("\(W.containers(adding)) must not include \(W.joinQuote(W.sortedSet(forbidden))) in securityContext.capabilities.add")
        }
        guard !details.isEmpty else { return nil }
        return ("unrestricted capabilities", details.joined(separator: "; "))
    }

    static let allowedVolumeSources: Set<String> = [
        "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret",
    ]

    static func volumes(_ pod: PodSpecModel) -> Finding? {
        let names = W.sortedSet(pod.volumes.filter { volume in !volume.sources.contains { allowedVolumeSources.contains($0) } }.map(\.name))
        guard !names.isEmpty else { return nil }
        // Go's %q of a string slice: ["a" "b"].
        return ("restricted volume types", "volumes [\(names.map(W.goQuoted).joined(separator: " "))] have restricted types")
    }

    static func runAsNonRoot(_ pod: PodSpecModel) -> Finding? {
        var setters: [String] = []
        var podNonRoot = false
        if let value = pod.securityContext?.options.runAsNonRoot {
            if value { podNonRoot = true } else { setters.append("pod") }
        }
        var explicit: [String] = []
        var implicit: [String] = []
        for c in pod.containers {
            if let value = c.securityContext?.options.runAsNonRoot {
                if !value { explicit.append(c.name) }
            } else if !podNonRoot {
                implicit.append(c.name)
            }
        }
        if !explicit.isEmpty { setters.append(W.containers(explicit)) }
        if !setters.isEmpty {
            return ("runAsNonRoot != true", "\(setters.joined(separator: " and ")) must not set securityContext.runAsNonRoot=false")
        }
        guard !implicit.isEmpty else { return nil }
        return ("runAsNonRoot != true", "pod or \(W.containers(implicit)) must set securityContext.runAsNonRoot=true")
    }

    static func runAsUser(_ pod: PodSpecModel) -> Finding? {
        var setters: [String] = []
        if pod.securityContext?.options.runAsUser == 0 { setters.append("pod") }
        let names = pod.containers.filter { $0.securityContext?.options.runAsUser == 0 }.map(\.name)
        if !names.isEmpty { setters.append(W.containers(names)) }
        guard !setters.isEmpty else { return nil }
        return ("runAsUser=0", "\(setters.joined(separator: " and ")) must not set runAsUser=0")
    }

    static func seccompProfile(_ pod: PodSpecModel) -> Finding? {
        var setters: [String] = []
        var values: [String] = []
        var podSet = false
        if let type = pod.securityContext?.options.seccompProfileType {
            if BaselineChecks.validSeccomp(type) {
                podSet = true
            } else {
                setters.append("pod")
                values.append(type)
            }
        }
        var explicit: [String] = []
        var implicit: [String] = []
        for c in pod.containers {
            if let type = c.securityContext?.options.seccompProfileType {
                if !BaselineChecks.validSeccomp(type) {
                    explicit.append(c.name)
                    values.append(type)
                }
            } else if !podSet {
                implicit.append(c.name)
            }
        }
        if !explicit.isEmpty { setters.append(W.containers(explicit)) }
        if !setters.isEmpty {
            return ("seccompProfile", "\(setters.joined(separator: " and ")) must not set securityContext.seccompProfile.type to \(W.joinQuote(W.sortedSet(values)))")
        }
        guard !implicit.isEmpty else { return nil }
        return ("seccompProfile", "pod or \(W.containers(implicit)) must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"")
    }
}
