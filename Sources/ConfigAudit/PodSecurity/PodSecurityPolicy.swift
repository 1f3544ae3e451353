/// A level at a version, as a namespace label pair sets it (`restricted:v1.30`).
public struct PodSecurityPolicy: Sendable, Hashable, CustomStringConvertible {
    public var level: PodSecurityLevel
    public var version: PodSecurityVersion

    public init(level: PodSecurityLevel, version: PodSecurityVersion = .latest) {
        self.level = level
        self.version = version
    }

    public static let privileged = PodSecurityPolicy(level: .privileged)

    public var description: String { "\(level.rawValue):\(version)" }

    /// The violations of `pod` under this policy, in check-id order; empty when it is allowed.
    public func evaluate(_ pod: PodSpecModel) -> [PodSecurityViolation] {
        PodSecurityChecks.inForce(level: level, minor: version.effectiveMinor).compactMap { id, evaluate in
            evaluate(pod).map { PodSecurityViolation(check: id, reason: $0.reason, detail: $0.detail) }
        }
    }
}
