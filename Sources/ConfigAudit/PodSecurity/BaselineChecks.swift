/// The baseline checks. Each returns pod-security-admission's reason and detail when the pod
/// fails, nil when it passes.
enum BaselineChecks {
    typealias Finding = (reason: String, detail: String)
    typealias W = PodSecurityWording

    static let appArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/"

    static func appArmorProfile(_ pod: PodSpecModel) -> Finding? {
        func allowed(_ type: String) -> Bool { type == "RuntimeDefault" || type == "Localhost" }
        var setters: [String] = []
        var values: [String] = []
        if let type = pod.securityContext?.options.appArmorProfileType, !allowed(type) {
            setters.append("pod")
            values.append(type)
        }
        var containers: [String] = []
        for c in pod.containers {
            if let type = c.securityContext?.options.appArmorProfileType, !allowed(type) {
                containers.append(c.name)
                values.append(type)
            }
        }
        if !containers.isEmpty { setters.append(W.containers(containers)) }
        var badValues = W.sortedSet(values)
        let annotations = W.sortedSet(pod.annotations.compactMap { key, value -> String? in
            guard key.hasPrefix(appArmorAnnotationPrefix) else { return nil }
            if value.isEmpty || value == "runtime/default" || value.hasPrefix("localhost/") { return nil }
            return "\(key)=\(W.goQuoted(value))"
        })
        if !annotations.isEmpty {
            badValues += annotations
            setters.append(W.plural("annotation", "annotations", annotations.count))
        }
        guard !setters.isEmpty else { return nil }
        return (W.plural("forbidden AppArmor profile", "forbidden AppArmor profiles", badValues.count),
                "\(setters.joined(separator: " and ")) must not set AppArmor profile type to \(W.joinQuote(badValues))")
    }

    static let capabilitiesAllowed: Set<String> = [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
        "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    ]

    static func capabilities(_ pod: PodSpecModel) -> Finding? {
        var containers: [String] = []
        var added: [String] = []
        for c in pod.containers {
            guard let caps = c.securityContext?.capabilities else { continue }
            let bad = caps.add.filter { !capabilitiesAllowed.contains($0) }
            if !bad.isEmpty {
                containers.append(c.name)
                added += bad
            }
        }
        guard !containers.isEmpty else { return nil }
        return ("non-default capabilities",
                "\(W.containers(containers)) must not include \(W.joinQuote(W.sortedSet(added))) in securityContext.capabilities.add")
    }

    static func hostNamespaces(_ pod: PodSpecModel) -> Finding? {
        var used: [String] = []
        if pod.hostNetwork { used.append("hostNetwork") }
        if pod.hostPID { used.append("hostPID") }
        if pod.hostIPC { used.append("hostIPC") }
        guard !used.isEmpty else { return nil }
        return ("host namespaces", W.sortedSet(used).joined(separator: ", "))
    }

    static func hostPathVolumes(_ pod: PodSpecModel) -> Finding? {
        let names = pod.volumes.filter { $0.sources.contains("hostPath") }.map(\.name)
        guard !names.isEmpty else { return nil }
        return ("hostPath volumes", "\(W.plural("volume", "volumes", names.count)) \(W.joinQuote(names))")
    }

    static func hostPorts(_ pod: PodSpecModel) -> Finding? {
        var containers: [String] = []
        var ports: [String] = []
        for c in pod.containers where !c.hostPorts.isEmpty {
            containers.append(c.name)
            ports += c.hostPorts.map(String.init)
        }
        guard !containers.isEmpty else { return nil }
        let unique = W.sortedSet(ports)
        return ("hostPort", "\(W.containers(containers)) \(W.plural("uses", "use", containers.count)) \(W.plural("hostPort", "hostPorts", unique.count)) \(unique.joined(separator: ", "))")
    }

    static func probeAndLifecycleHosts(_ pod: PodSpecModel) -> Finding? {
        var containers: [String] = []
        var hosts: [String] = []
        for c in pod.containers {
            let bad = c.probeAndLifecycleHosts.filter { !$0.isEmpty }
            if !bad.isEmpty {
                containers.append(c.name)
                hosts += bad
            }
        }
        guard !containers.isEmpty else { return nil }
        let names = W.sortedSet(containers)
        let unique = W.sortedSet(hosts)
        return ("probe or lifecycle host",
                "\(W.containers(names)) \(W.plural("uses", "use", names.count)) \(W.plural("probe or lifecycle host", "probe or lifecycle hosts", unique.count)) \(W.joinQuote(unique))")
    }

    static func privileged(_ pod: PodSpecModel) -> Finding? {
        let names = pod.containers.filter { $0.securityContext?.privileged == true }.map(\.name)
        guard !names.isEmpty else { return nil }
        return ("privileged", "\(W.containers(names)) must not set securityContext.privileged=true")
    }

    static func procMount(_ pod: PodSpecModel) -> Finding? {
        var containers: [String] = []
        var types: [String] = []
        for c in pod.containers {
            if let mount = c.securityContext?.procMount, mount != "Default" {
                containers.append(c.name)
                types.append(mount)
            }
        }
        guard !containers.isEmpty else { return nil }
        return ("procMount", "\(W.containers(containers)) must not set securityContext.procMount to \(W.joinQuote(W.sortedSet(types)))")
    }

    /// From v1.35 a pod in its own user namespace may unmask /proc (KEP-127).
    static func procMountUnlessUserNamespace(_ pod: PodSpecModel) -> Finding? {
        pod.usesUserNamespace ? nil : procMount(pod)
    }

    static let seLinuxTypes1_0: Set<String> = ["", "container_t", "container_init_t", "container_kvm_t"]
    static let seLinuxTypes1_31 = seLinuxTypes1_0.union(["container_engine_t"])

    static func seLinuxOptions(_ pod: PodSpecModel, allowed: Set<String>) -> Finding? {
        var badTypes: [String] = []
        var setUser = false
        var setRole = false
        func valid(_ options: SELinuxOptionsModel) -> Bool {
            var ok = true
            if !allowed.contains(options.type) {
                ok = false
                badTypes.append(options.type)
            }
            if !options.user.isEmpty {
                ok = false
                setUser = true
            }
            if !options.role.isEmpty {
                ok = false
                setRole = true
            }
            return ok
        }
        var setters: [String] = []
        if let options = pod.securityContext?.options.seLinuxOptions, !valid(options) { setters.append("pod") }
        var containers: [String] = []
        for c in pod.containers {
            if let options = c.securityContext?.options.seLinuxOptions, !valid(options) { containers.append(c.name) }
        }
        if !containers.isEmpty { setters.append(W.containers(containers)) }
        guard !setters.isEmpty else { return nil }
        var data: [String] = []
        let types = W.sortedSet(badTypes)
        if !types.isEmpty { data.append("\(W.plural("type", "types", types.count)) \(W.joinQuote(types))") }
        if setUser { data.append("user may not be set") }
        if setRole { data.append("role may not be set") }
        return ("seLinuxOptions", "\(setters.joined(separator: " and ")) set forbidden securityContext.seLinuxOptions: \(data.joined(separator: "; "))")
    }

    static let seccompPodAnnotation = "seccomp.security.alpha.kubernetes.io/pod"
    static let seccompContainerAnnotationPrefix = "container.seccomp.security.alpha.kubernetes.io/"

    /// Before v1.19 seccomp was set by annotations.
    static func seccompAnnotations(_ pod: PodSpecModel) -> Finding? {
        func valid(_ value: String) -> Bool { value == "runtime/default" || value == "docker/default" || value.hasPrefix("localhost/") }
        var forbidden: [String] = []
        if let value = pod.annotations[seccompPodAnnotation], !valid(value) {
            forbidden.append("\(seccompPodAnnotation)=\(W.goQuoted(value))")
        }
        for c in pod.containers {
            let key = seccompContainerAnnotationPrefix + c.name
            if let value = pod.annotations[key], !valid(value) { forbidden.append("\(key)=\(W.goQuoted(value))") }
        }
        guard !forbidden.isEmpty else { return nil }
        let unique = W.sortedSet(forbidden)
        return ("seccompProfile", "forbidden \(W.plural("annotation", "annotations", unique.count)) \(unique.joined(separator: ", "))")
    }

    static func validSeccomp(_ type: String) -> Bool { type == "RuntimeDefault" || type == "Localhost" }

    static func seccompFields(_ pod: PodSpecModel) -> Finding? {
        var setters: [String] = []
        var values: [String] = []
        if let type = pod.securityContext?.options.seccompProfileType, !validSeccomp(type) {
            setters.append("pod")
            values.append(type)
        }
        var containers: [String] = []
        for c in pod.containers {
            if let type = c.securityContext?.options.seccompProfileType, !validSeccomp(type) {
                containers.append(c.name)
                values.append(type)
            }
        }
        if !containers.isEmpty { setters.append(W.containers(containers)) }
        guard !setters.isEmpty else { return nil }
        return ("seccompProfile", "\(setters.joined(separator: " and ")) must not set securityContext.seccompProfile.type to \(W.joinQuote(W.sortedSet(values)))")
    }

    static let sysctls1_0: Set<String> = [
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
    ]
    static let sysctls1_27 = sysctls1_0.union(["net.ipv4.ip_local_reserved_ports"])
    static let sysctls1_29 = sysctls1_27.union([
        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
    ])
    static let sysctls1_32 = sysctls1_29.union(["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"])
    static let sysctls1_37 = sysctls1_32.union(["net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"])

    static func sysctls(_ pod: PodSpecModel, allowed: Set<String>) -> Finding? {
        let forbidden = (pod.securityContext?.sysctls ?? []).filter { !allowed.contains($0) }
        guard !forbidden.isEmpty else { return nil }
        return ("forbidden sysctls", forbidden.joined(separator: ", "))
    }

    static func windowsHostProcess(_ pod: PodSpecModel) -> Finding? {
        var setters: [String] = []
        if pod.securityContext?.options.windowsHostProcess == true { setters.append("pod") }
        let names = pod.containers.filter { $0.securityContext?.options.windowsHostProcess == true }.map(\.name)
        if !names.isEmpty { setters.append(W.containers(names)) }
        guard !setters.isEmpty else { return nil }
        return ("hostProcess", "\(setters.joined(separator: " and ")) must not set securityContext.windowsOptions.hostProcess=true")
    }
}
