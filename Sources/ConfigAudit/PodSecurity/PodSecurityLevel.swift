/// A Pod Security Standards level, ordered from least to most restrictive.
public enum PodSecurityLevel: String, Sendable, Hashable, Comparable, CaseIterable {
    case privileged, baseline, restricted

    public init?(label: String) {
        self.init(rawValue: label)
    }

    private var rank: Int {
        switch self {
        case .privileged: 0
        case .baseline: 1
        case .restricted: 2
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}
