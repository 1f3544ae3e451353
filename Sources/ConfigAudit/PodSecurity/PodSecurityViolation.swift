/// One failed check: its id (`privileged`, `runAsNonRoot`, …) and pod-security-admission's
/// reason and detail, which the API server prints as `reason (detail)`.
public struct PodSecurityViolation: Sendable, Hashable {
    public let check: String
    public let reason: String
    public let detail: String

    public init(check: String, reason: String, detail: String) {
        self.check = check
        self.reason = reason
        self.detail = detail
    }

    /// As `kubectl` shows it in a rejection or warning.
    public var message: String { detail.isEmpty ? reason : "\(reason) (\(detail))" }
}
