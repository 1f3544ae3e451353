/// The version `flowlog --version` prints; raised with each release.
enum FlowlogVersion {
    static let current = "0.9.0"
}
