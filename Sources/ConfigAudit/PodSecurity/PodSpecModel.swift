/// The parts of a pod (or pod template) that Pod Security Standards look at, read from a
/// manifest. Optionals keep "unset" apart from "set to the zero value", which the checks need.
public struct PodSpecModel: Sendable, Hashable {
    public var annotations: [String: String] = [:]
    public var hostNetwork = false
    public var hostPID = false
    public var hostIPC = false
    public var hostUsers: Bool?
    /// `spec.os.name`.
    public var osName: String?
    public var securityContext: PodSecurityContextModel?
    public var volumes: [VolumeModel] = []
    /// Init containers, containers, then ephemeral containers: the order Kubernetes visits them.
    public var containers: [ContainerModel] = []

    public init() {}

    var isWindows: Bool { osName == "windows" }
    var usesUserNamespace: Bool { hostUsers == false }
}

/// Fields common to the pod and container security contexts.
public struct SecurityOptionsModel: Sendable, Hashable {
    public var runAsNonRoot: Bool?
    public var runAsUser: Int64?
    public var seLinuxOptions: SELinuxOptionsModel?
    /// `seccompProfile.type` when `seccompProfile` is set (possibly empty).
    public var seccompProfileType: String?
    /// `appArmorProfile.type` when `appArmorProfile` is set (possibly empty).
    public var appArmorProfileType: String?
    public var windowsHostProcess: Bool?

    public init() {}
}

public struct SELinuxOptionsModel: Sendable, Hashable {
    public var type = ""
    public var user = ""
    public var role = ""

    public init(type: String = "", user: String = "", role: String = "") {
        self.type = type
        self.user = user
        self.role = role
    }
}

public struct PodSecurityContextModel: Sendable, Hashable {
    public var options = SecurityOptionsModel()
    public var sysctls: [String] = []

    public init() {}
}

public struct ContainerSecurityContextModel: Sendable, Hashable {
    public var options = SecurityOptionsModel()
    public var privileged: Bool?
    public var allowPrivilegeEscalation: Bool?
    /// nil when `capabilities` is unset.
    public var capabilities: CapabilitiesModel?
    public var procMount: String?

    public init() {}
}

public struct CapabilitiesModel: Sendable, Hashable {
    public var add: [String] = []
    public var drop: [String] = []

    public init(add: [String] = [], drop: [String] = []) {
        self.add = add
        self.drop = drop
    }
}

public struct ContainerModel: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable { case initContainer, container, ephemeral }

    public var name: String
    public var role: Role
    public var hostPorts: [Int64] = []
    public var securityContext: ContainerSecurityContextModel?
    /// `host` of the liveness, readiness and startup probes and the postStart/preStop
    /// handlers (HTTP GET and TCP socket), as written; empty strings included.
    public var probeAndLifecycleHosts: [String] = []

    public init(name: String, role: Role) {
        self.name = name
        self.role = role
    }
}

public struct VolumeModel: Sendable, Hashable {
    public var name: String
    /// The volume source fields set, e.g. `["hostPath"]`; a volume with none is an `emptyDir`
    /// once the API server has defaulted it, and is read as such.
    public var sources: [String]

    public init(name: String, sources: [String]) {
        self.name = name
        self.sources = sources.isEmpty ? ["emptyDir"] : sources
    }
}
