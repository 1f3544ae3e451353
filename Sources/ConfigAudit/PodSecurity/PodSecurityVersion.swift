/// A policy version as namespaces label it: `v1.N`, or `latest`. Versions newer than the
/// newest one any check defines behave as that one, as in pod-security-admission.
public struct PodSecurityVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The minor version; `nil` is `latest`.
    public let minor: Int?

    public static let latest = PodSecurityVersion(minor: nil)

    public static func v1(_ minor: Int) -> PodSecurityVersion { PodSecurityVersion(minor: minor) }

    /// The newest version whose rules differ from the one before (the `latest` a
    /// pod-security-admission of this generation resolves to).
    public static let newestDefined = v1(37)

    private init(minor: Int?) {
        self.minor = minor
    }

    /// `latest` or `v1.N` (N up to 9999; Kubernetes has no 2.x).
    public init?(label: String) {
        if label == "latest" {
            self = .latest
            return
        }
        guard label.hasPrefix("v1."), label.utf8.count <= 7 else { return nil }
        let digits = label.dropFirst(3)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              digits == "0" || !digits.hasPrefix("0"), let n = Int(digits) else { return nil }
        self.minor = n
    }

    /// The minor version the checks are chosen for.
    var effectiveMinor: Int { min(minor ?? Int.max, Self.newestDefined.minor ?? 0) }

    public var description: String { minor.map { "v1.\($0)" } ?? "latest" }

    public static func < (a: Self, b: Self) -> Bool { (a.minor ?? Int.max) < (b.minor ?? Int.max) }
}
