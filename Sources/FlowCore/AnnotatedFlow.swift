/// What the policy stage adds to a flow.
///
/// The fields live in one shared, copy-on-write box: the policy engine hands the same decision
/// to every flow between the same endpoints, and the pipeline and the store copy annotations
/// around, so a copy must cost one reference count, not one per string and dictionary inside.
/// Equal boxes compare equal without looking inside, which the store's interning relies on.
public struct FlowAnnotation: Hashable, Sendable {
    // Unchecked: a box is mutated only through the owning value after an
    // `isKnownUniquelyReferenced` check (copy-on-write), so a box reachable from two threads is never written.
    final class Storage: @unchecked Sendable {
        var source: EndpointIdentity
        var destination: EndpointIdentity
        var destinationService: String
        var verdict: Verdict
        var egress: PolicyTrace?
        var ingress: PolicyTrace?
        var pendingEgress: PolicyTrace?
        var pendingIngress: PolicyTrace?
        /// Cleared by every change to a numbered part: the numbers then no longer name it.
        var numbers: AnnotationNumbers

        init(source: EndpointIdentity, destination: EndpointIdentity, destinationService: String, verdict: Verdict,
             egress: PolicyTrace?, ingress: PolicyTrace?, pendingEgress: PolicyTrace?, pendingIngress: PolicyTrace?,
             numbers: AnnotationNumbers) {
            self.source = source
            self.destination = destination
            self.destinationService = destinationService
            self.verdict = verdict
            self.egress = egress
            self.ingress = ingress
            self.pendingEgress = pendingEgress
            self.pendingIngress = pendingIngress
            self.numbers = numbers
        }

        func copy() -> Storage {
            Storage(source: source, destination: destination, destinationService: destinationService, verdict: verdict,
                    egress: egress, ingress: ingress, pendingEgress: pendingEgress, pendingIngress: pendingIngress,
                    numbers: numbers)
        }
    }

    private var storage: Storage

    public init(source: EndpointIdentity, destination: EndpointIdentity, destinationService: String = "",
                verdict: Verdict, egress: PolicyTrace? = nil, ingress: PolicyTrace? = nil,
                pendingEgress: PolicyTrace? = nil, pendingIngress: PolicyTrace? = nil, numbers: AnnotationNumbers = .absent) {
        storage = Storage(source: source, destination: destination, destinationService: destinationService,
                          verdict: verdict, egress: egress, ingress: ingress,
                          pendingEgress: pendingEgress, pendingIngress: pendingIngress, numbers: numbers)
    }

    /// The box for a change to a numbered part: unique, and its numbers dropped (they named the
    /// part before the change).
    private mutating func renumbered() -> Storage {
        let s = unique()
        s.numbers = .absent
        return s
    }

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    public var source: EndpointIdentity {
        get { storage.source }
        set { renumbered().source = newValue }
    }
    public var destination: EndpointIdentity {
        get { storage.destination }
        set { renumbered().destination = newValue }
    }
    /// `<namespace>/<name>` of the Kubernetes Service whose endpoints include the destination
    /// (or whose cluster IP is the destination address); "" when none.
    public var destinationService: String {
        get { storage.destinationService }
        set { renumbered().destinationService = newValue }
    }
    /// Overall fate: egress at the source must allow, then ingress at the destination.
    public var verdict: Verdict {
        get { storage.verdict }
        set { unique().verdict = newValue }
    }
    /// Egress trace at the source; nil when the source is not an endpoint.
    public var egress: PolicyTrace? {
        get { storage.egress }
        set { renumbered().egress = newValue }
    }
    /// Ingress trace at the destination; nil when not an endpoint or egress already denied.
    public var ingress: PolicyTrace? {
        get { storage.ingress }
        set { renumbered().ingress = newValue }
    }
    /// What would happen if staged policies were enforced; nil where no staged policy exists.
    public var pendingEgress: PolicyTrace? {
        get { storage.pendingEgress }
        set { renumbered().pendingEgress = newValue }
    }
    public var pendingIngress: PolicyTrace? {
        get { storage.pendingIngress }
        set { renumbered().pendingIngress = newValue }
    }

    /// The verdict the flow would get if staged policies were enforced: each direction's
    /// pending trace where there is one, its enforced trace otherwise, combined as `verdict` is
    /// (egress must allow, then ingress decides).
    public var pendingVerdict: Verdict {
        let s = storage
        let egress = s.pendingEgress ?? s.egress
        if let egress, egress.action == .deny { return .deny }
        // Enforced egress denied but the pending one allows: the ingress side was not walked
        // for enforcement, only for the pending trace.
        let ingress = s.pendingIngress ?? (s.egress?.action == .deny ? nil : s.ingress)
        if let ingress { return ingress.action }
        if let egress { return egress.action }
        return .unknown
    }

    /// The producer's numbers of the parts (see `AnnotationNumbers`); absent unless the producer
    /// gave them. Not part of the value: equal annotations may carry different numbers.
    public var numbers: AnnotationNumbers {
        get { storage.numbers }
        set { unique().numbers = newValue }
    }

    /// Who reports the flow as Calico would: the destination when it has an ingress trace,
    /// else the source when it has an egress trace; nil when neither side is an endpoint.
    public var reporter: Reporter? {
        if let r = storage.ingress?.reporter { return r }
        return storage.egress?.reporter
    }

    /// Whether Calico's `…_in`/`…_out` counters count from the destination's side.
    public var reportsAtDestination: Bool { reporter == .destination }

    /// Names the shared box: values with the same identity are equal (the converse need not
    /// hold). Stable while any value holding the box is alive.
    public var storageIdentity: ObjectIdentifier { ObjectIdentifier(storage) }

    /// The shared boxes of its identities and traces, named without copying the values: the
    /// store numbers an annotation's parts by box, and each copy costs a reference count.
    public var partBoxes: PartBoxes {
        let s = storage
        return PartBoxes(source: s.source.storageIdentity, destination: s.destination.storageIdentity,
                         egress: s.egress?.storageIdentity, ingress: s.ingress?.storageIdentity,
                         pendingEgress: s.pendingEgress?.storageIdentity, pendingIngress: s.pendingIngress?.storageIdentity)
    }

    /// The address of the shared box of the annotation stored at `pointer`, read without taking
    /// a reference (reading the value would retain the box, a write to it): for a cache prefetch
    /// of the box's reference count ahead of the copy that will write it. The value is its one
    /// reference, so its bytes are the box's address (`AnnotationBoxTests` checks the layout).
    @inline(__always)
    public static func boxAddress(at pointer: UnsafePointer<FlowAnnotation>) -> UnsafeRawPointer {
        UnsafeRawPointer(pointer).load(as: UnsafeRawPointer.self)
    }

    /// See `partBoxes`; nil where the annotation has no such trace.
    public struct PartBoxes: Sendable {
        public let source: ObjectIdentifier, destination: ObjectIdentifier
        public let egress: ObjectIdentifier?, ingress: ObjectIdentifier?
        public let pendingEgress: ObjectIdentifier?, pendingIngress: ObjectIdentifier?
    }

    public static func == (l: FlowAnnotation, r: FlowAnnotation) -> Bool {
        if l.storage === r.storage { return true }
        let a = l.storage, b = r.storage
        return a.verdict == b.verdict && a.source == b.source && a.destination == b.destination
            && a.destinationService == b.destinationService && a.egress == b.egress && a.ingress == b.ingress
            && a.pendingEgress == b.pendingEgress && a.pendingIngress == b.pendingIngress
    }

    public func hash(into hasher: inout Hasher) {
        let s = storage
        hasher.combine(s.verdict)
        hasher.combine(s.source)
        hasher.combine(s.destination)
        hasher.combine(s.destinationService)
        hasher.combine(s.egress)
        hasher.combine(s.ingress)
        hasher.combine(s.pendingEgress)
        hasher.combine(s.pendingIngress)
    }
}

/// A flow with its policy annotation and the node that observed it: the stored unit.
public struct AnnotatedFlow: Hashable, Sendable {
    public var flow: FlowRecord
    /// nil when the flow was stored without a cluster (`flowlog replay` without `--cluster`).
    public var annotation: FlowAnnotation?
    /// The reporting node's name ("" when unknown).
    public var node: String
    /// The names DNS answers seen by the capture linked to the destination address
    /// (`dest_domains`); none when no answer was seen.
    public var destinationDomains: DomainNames

    public init(flow: FlowRecord, annotation: FlowAnnotation? = nil, node: String = "",
                destinationDomains: DomainNames = .none) {
        self.flow = flow
        self.annotation = annotation
        self.node = node
        self.destinationDomains = destinationDomains
    }
}
