/// How a `PolicyEngine` works.
public struct PolicyOptions: Sendable {
    /// Remember decisions per (source, destination, protocol, ports) and verdicts with traces per
    /// pair of match classes; false decides every flow afresh.
    public var cachesDecisions: Bool
    /// Entries kept in each cache (decisions, class decisions, address classes) before it is
    /// emptied and refilled (an entry costs a few hundred bytes; traces are shared between entries).
    public var cacheCapacity: Int
    /// Compute pending traces where staged policies exist.
    public var computesPendingTraces: Bool
    /// Tie-break for policies of equal order: v3.32 (default) or v3.30/v3.31.
    public var ordering: PolicyOrdering

    public init(cachesDecisions: Bool = true, cacheCapacity: Int = 1 << 18, computesPendingTraces: Bool = true,
                ordering: PolicyOrdering = .v3_32) {
        self.ordering = ordering
        self.cachesDecisions = cachesDecisions
        self.cacheCapacity = cacheCapacity
        self.computesPendingTraces = computesPendingTraces
    }
}
