/// What a namespace's `pod-security.kubernetes.io/*` labels ask for. Like
/// pod-security-admission, an invalid level is read as `restricted` and an invalid version as
/// `latest` (the strictest reading), and the problem is kept to be reported.
public struct NamespaceSecurityLabels: Sendable, Hashable {
    public static let prefix = "pod-security.kubernetes.io/"

    public var enforce: PodSecurityPolicy?
    public var audit: PodSecurityPolicy?
    public var warn: PodSecurityPolicy?
    public var problems: [String] = []

    public init(labels: [String: String]) {
        enforce = read("enforce", labels)
        audit = read("audit", labels)
        warn = read("warn", labels)
    }

    private mutating func read(_ mode: String, _ labels: [String: String]) -> PodSecurityPolicy? {
        let levelKey = Self.prefix + mode
        let versionKey = levelKey + "-version"
        guard let levelText = labels[levelKey] else {
            if labels[versionKey] != nil { problems.append("\(versionKey) is set without \(levelKey); it has no effect") }
            return nil
        }
        var policy = PodSecurityPolicy(level: .restricted)
        if let level = PodSecurityLevel(label: levelText) {
            policy.level = level
        } else {
            problems.append("\(levelKey)=\(levelText) is not privileged, baseline or restricted; read as restricted")
        }
        if let versionText = labels[versionKey] {
            if let version = PodSecurityVersion(label: versionText) {
                policy.version = version
            } else {
                problems.append("\(versionKey)=\(versionText) is not latest or v1.N; read as latest")
            }
        }
        return policy
    }
}
