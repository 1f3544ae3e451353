import FlowCore
import Policy

/// How one connection's verdict changed over the history: "why was this allowed last
/// Tuesday, and which change closed it".
public struct VerdictChange: Sendable {
    /// When the verdict became `verdict`.
    public var time: Timestamp
    public var verdict: Verdict
    /// The versions recorded at that instant (the change that made the difference).
    public var versions: [ObjectVersion]
}

extension AuditHistory {
    /// The connection's verdict at `since`, then each later instant at which it changed, with
    /// the versions recorded then. `request` names its sides by IP or `<namespace>/<pod>`
    /// (resolved in each state). At most `limit` instants are evaluated.
    public func verdictChanges(for request: ExplainRequest, since: Timestamp, limit: Int = 10_000) -> [VerdictChange] {
        var instants: [Timestamp] = []
        for version in versions where version.time > since && instants.last != version.time { instants.append(version.time) }
        instants = Array(Set(instants)).sorted().prefix(limit).map { $0 }
        var changes: [VerdictChange] = []
        var current: Verdict? = Self.verdict(of: request, in: state(at: since))
        for instant in instants {
            let next = Self.verdict(of: request, in: state(at: instant))
            guard next != current, let next else { continue }
            changes.append(VerdictChange(time: instant, verdict: next, versions: versions.filter { $0.time == instant }))
            current = next
        }
        return changes
    }

    /// The verdict in a state, nil when the state cannot decide it (a pod named that has no IP then).
    static func verdict(of request: ExplainRequest, in state: AuditState) -> Verdict? {
        guard let cluster = try? state.cluster(), let flow = try? request.flow(in: cluster) else { return nil }
        return PolicyEngine(cluster: cluster).explain(flow).annotation.verdict
    }
}
