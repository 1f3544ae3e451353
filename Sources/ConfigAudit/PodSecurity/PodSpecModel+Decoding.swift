/// Reading a `PodSpecModel` from a pod spec node; a field of the wrong type is reported with
/// its position and read as unset.
extension PodSpecModel {
    /// Every volume source a Kubernetes `Volume` can have (core/v1 as of 1.37). Fields that are
    /// not sources (and misspelt ones, which the API server would drop) are not counted, so
    /// a volume left with none reads as the API server's default, `emptyDir`.
    static let volumeSources: Set<String> = [
        "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs",
        "iscsi", "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker",
        "downwardAPI", "fc", "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk",
        "photonPersistentDisk", "projected", "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image",
    ]

    public init(spec: ManifestNode, annotations: [String: String]) {
        self.init()
        self.annotations = annotations
        hostNetwork = spec.bool("hostNetwork") ?? false
        hostPID = spec.bool("hostPID") ?? false
        hostIPC = spec.bool("hostIPC") ?? false
        hostUsers = spec.bool("hostUsers")
        osName = spec.object("os")?.string("name")
        if let context = spec.object("securityContext") {
            var pod = PodSecurityContextModel()
            pod.options = SecurityOptionsModel(context)
            for sysctl in context.list("sysctls") {
                guard sysctl.isMapping else {
                    sysctl.error("expected a map with name and value")
                    continue
                }
                pod.sysctls.append(sysctl.string("name") ?? "")
            }
            securityContext = pod
        }
        for volume in spec.list("volumes") {
            guard volume.isMapping else {
                volume.error("expected a map")
                continue
            }
            let sources = volume.keys.filter { Self.volumeSources.contains($0) }
            volumes.append(VolumeModel(name: volume.string("name") ?? "", sources: sources))
        }
        for (key, role) in [("initContainers", ContainerModel.Role.initContainer), ("containers", .container), ("ephemeralContainers", .ephemeral)] {
            for node in spec.list(key) {
                guard node.isMapping else {
                    node.error("expected a map")
                    continue
                }
                containers.append(ContainerModel(node, role: role))
            }
        }
    }
}

extension SecurityOptionsModel {
    init(_ context: ManifestNode) {
        self.init()
        runAsNonRoot = context.bool("runAsNonRoot")
        runAsUser = context.integer("runAsUser", in: Int64.min...Int64.max)
        if let se = context.object("seLinuxOptions") {
            seLinuxOptions = SELinuxOptionsModel(type: se.string("type") ?? "", user: se.string("user") ?? "", role: se.string("role") ?? "")
        }
        if let seccomp = context.object("seccompProfile") { seccompProfileType = seccomp.string("type") ?? "" }
        if let apparmor = context.object("appArmorProfile") { appArmorProfileType = apparmor.string("type") ?? "" }
        windowsHostProcess = context.object("windowsOptions")?.bool("hostProcess")
    }
}

extension ContainerModel {
    init(_ node: ManifestNode, role: Role) {
        self.init(name: node.string("name") ?? "", role: role)
        for port in node.list("ports") {
            guard port.isMapping else {
                port.error("expected a map")
                continue
            }
            if let host = port.integer("hostPort", in: Int64(Int32.min)...Int64(Int32.max)), host != 0 { hostPorts.append(host) }
        }
        if let context = node.object("securityContext") {
            var model = ContainerSecurityContextModel()
            model.options = SecurityOptionsModel(context)
            model.privileged = context.bool("privileged")
            model.allowPrivilegeEscalation = context.bool("allowPrivilegeEscalation")
            if let capabilities = context.object("capabilities") {
                model.capabilities = CapabilitiesModel(add: capabilities.stringList("add"), drop: capabilities.stringList("drop"))
            }
            model.procMount = context.string("procMount")
            securityContext = model
        }
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            if let handler = node.object(probe) { probeAndLifecycleHosts += Self.hosts(handler) }
        }
        if let lifecycle = node.object("lifecycle") {
            for hook in ["postStart", "preStop"] {
                if let handler = lifecycle.object(hook) { probeAndLifecycleHosts += Self.hosts(handler) }
            }
        }
    }

    private static func hosts(_ handler: ManifestNode) -> [String] {
        var hosts: [String] = []
        for kind in ["httpGet", "tcpSocket"] {
            if let action = handler.object(kind), let host = action.string("host") { hosts.append(host) }
        }
        return hosts
    }
}
