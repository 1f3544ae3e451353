/// What the policy stage adds to a flow.
public struct FlowAnnotation: Hashable, Sendable {
    public var source: EndpointIdentity
    public var destination: EndpointIdentity
    /// `<namespace>/<name>` of the Kubernetes Service whose endpoints include the destination
    /// (or whose cluster IP is the destination address); "" when none.
    public var destinationService: String
    /// Overall fate: egress at the source must allow, then ingress at the destination.
    public var verdict: Verdict
    /// Egress trace at the source; nil when the source is not an endpoint.
    public var egress: PolicyTrace?
    /// Ingress trace at the destination; nil when not an endpoint or egress already denied.
    public var ingress: PolicyTrace?
    /// What would happen if staged policies were enforced; nil where no staged policy exists.
    public var pendingEgress: PolicyTrace?
    public var pendingIngress: PolicyTrace?

    public init(source: EndpointIdentity, destination: EndpointIdentity, destinationService: String = "",
                verdict: Verdict, egress: PolicyTrace? = nil, ingress: PolicyTrace? = nil,
                pendingEgress: PolicyTrace? = nil, pendingIngress: PolicyTrace? = nil) {
        self.source = source
        self.destination = destination
        self.destinationService = destinationService
        self.verdict = verdict
        self.egress = egress
        self.ingress = ingress
        self.pendingEgress = pendingEgress
        self.pendingIngress = pendingIngress
    }
}

/// A flow with its policy annotation and the node that observed it: the stored unit.
public struct AnnotatedFlow: Hashable, Sendable {
    public var flow: FlowRecord
    /// nil when the flow was stored without a cluster (`flowlog replay` without `--cluster`).
    public var annotation: FlowAnnotation?
    /// The reporting node's name ("" when unknown).
    public var node: String

    public init(flow: FlowRecord, annotation: FlowAnnotation? = nil, node: String = "") {
        self.flow = flow
        self.annotation = annotation
        self.node = node
    }
}
