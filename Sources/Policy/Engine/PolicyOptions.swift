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
    /// Work out, while the engine is built, every endpoint's match class and policy plan and the
    /// class of every endpoint address, instead of when a flow first meets them. Costs about
    /// 0.1 s for 4,096 pods and 1,000 policies, and takes that work off the first flows of a
    /// long-running pipeline; one-off questions (explain, checks) leave it off.
    public var preparesEndpoints: Bool

    public init(cachesDecisions: Bool = true, cacheCapacity: Int = 1 << 18, computesPendingTraces: Bool = true,
                ordering: PolicyOrdering = .v3_32, preparesEndpoints: Bool = false) {
        self.ordering = ordering
        self.preparesEndpoints = preparesEndpoints
        self.cachesDecisions = cachesDecisions
        self.cacheCapacity = cacheCapacity
        self.computesPendingTraces = computesPendingTraces
    }
}
