import ConfigAudit
import FlowCore

/// A namespace holding in-scope endpoints; protected only if all of them are (compliance §1.5).
public struct NamespaceAssessment: Sendable, Hashable {
    public let name: String
    public var endpoints = 0
    public var calicoIngressProtected = 0
    public var calicoEgressProtected = 0
    public var ingressDefaultDeny = 0
    public var egressDefaultDeny = 0

    public var ingressProtected: Bool { calicoIngressProtected == endpoints }
    public var egressProtected: Bool { calicoEgressProtected == endpoints }
}

/// A service selecting in-scope endpoints; ingress-protected only if all of them are.
public struct ServiceAssessment: Sendable, Hashable {
    public let name: String
    public var endpoints = 0
    public var calicoIngressProtected = 0
    public var ingressDefaultDeny = 0

    public var ingressProtected: Bool { calicoIngressProtected == endpoints }
}

/// Everything one report says, before it is written as CSV, JSON and HTML.
public struct ReportDocument: Sendable {
    public let spec: ReportSpec
    public let id: String
    public let start: Timestamp
    public let end: Timestamp
    public let generated: Timestamp
    public let provenance: StateProvenance
    /// How many policy states the interval spanned (1 for manifests).
    public let statesAssessed: Int
    public let privateNetworks: PrivateNetworks
    /// In-scope endpoints in `EndpointKey` order.
    public let endpoints: [EndpointAssessment]
    public let namespaces: [NamespaceAssessment]
    public let services: [ServiceAssessment]
    public let serviceAccountsInScope: Int
    /// nil without a flow store (`--data`).
    public let evidence: FlowEvidence?
    /// The store directory read, for the header.
    public let dataDirectory: String?
    /// policy-audit only.
    public let policyChanges: [PolicyChange]
    /// cis-benchmark only: ConfigAudit's scored run.
    public let cis: CISBenchmarkReport?

    public func observation(_ key: EndpointKey) -> EndpointObservation? {
        guard let evidence else { return nil }
        return evidence.endpoints[key] ?? EndpointObservation()
    }
}

/// The numbers every output shows (summary.csv, report.json's summary, the HTML cards): one
/// computation, so the three cannot disagree.
public struct ReportSummary: Sendable, Hashable {
    public var endpointsInScope = 0
    public var endpointsIngressProtected = 0
    public var endpointsEgressProtected = 0
    public var endpointsIngressFromInternet = 0
    public var endpointsEgressToInternet = 0
    public var endpointsIngressFromOtherNamespace = 0
    public var endpointsEgressToOtherNamespace = 0
    public var endpointsEnvoyEnabled = 0
    public var namespacesInScope = 0
    public var namespacesIngressProtected = 0
    public var namespacesEgressProtected = 0
    public var serviceAccountsInScope = 0
    // flowlog's reading
    public var endpointsIngressDefaultDeny = 0
    public var endpointsEgressDefaultDeny = 0
    public var endpointsReachableFromInternet = 0
    public var endpointsReachingInternet = 0
    public var endpointsReachableFromOtherNamespace = 0
    public var endpointsReachingOtherNamespace = 0
    // observed (nil without a flow store)
    public var observed: ObservedSummary?
    // policy-audit
    public var policiesCreated = 0
    public var policiesModified = 0
    public var policiesDeleted = 0

    public struct ObservedSummary: Sendable, Hashable {
        public var flowsInScope: UInt64 = 0
        public var flowsAllowed: UInt64 = 0
        public var flowsDenied: UInt64 = 0
        public var endpointsAllowedFromInternet = 0
        public var endpointsAllowedToInternet = 0
        public var endpointsWithOtherNamespacePeers = 0
        public var endpointsWithDeniedFlows = 0
    }

    public init(_ d: ReportDocument) {
        endpointsInScope = d.endpoints.count
        for e in d.endpoints {
            if e.calico.ingressProtected { endpointsIngressProtected += 1 }
            if e.calico.egressProtected { endpointsEgressProtected += 1 }
            if e.calico.ingressFromInternet { endpointsIngressFromInternet += 1 }
            if e.calico.egressToInternet { endpointsEgressToInternet += 1 }
            if e.calico.ingressFromOtherNamespace { endpointsIngressFromOtherNamespace += 1 }
            if e.calico.egressToOtherNamespace { endpointsEgressToOtherNamespace += 1 }
            if e.assessed.ingressDefaultDeny { endpointsIngressDefaultDeny += 1 }
            if e.assessed.egressDefaultDeny { endpointsEgressDefaultDeny += 1 }
            if e.assessed.ingressFromInternet { endpointsReachableFromInternet += 1 }
            if e.assessed.egressToInternet { endpointsReachingInternet += 1 }
            if e.assessed.ingressFromOtherNamespace { endpointsReachableFromOtherNamespace += 1 }
            if e.assessed.egressToOtherNamespace { endpointsReachingOtherNamespace += 1 }
        }
        namespacesInScope = d.namespaces.count
        namespacesIngressProtected = d.namespaces.filter(\.ingressProtected).count
        namespacesEgressProtected = d.namespaces.filter(\.egressProtected).count
        serviceAccountsInScope = d.serviceAccountsInScope
        if let evidence = d.evidence {
            var o = ObservedSummary(flowsInScope: evidence.flowsInScope, flowsAllowed: evidence.flowsAllowed,
                                    flowsDenied: evidence.flowsDenied)
            for e in d.endpoints {
                let seen = evidence.endpoints[e.key] ?? EndpointObservation()
                if seen.allowedFromInternet > 0 { o.endpointsAllowedFromInternet += 1 }
                if seen.allowedToInternet > 0 { o.endpointsAllowedToInternet += 1 }
                if !seen.otherNamespaceSources.isEmpty || !seen.otherNamespaceDestinations.isEmpty { o.endpointsWithOtherNamespacePeers += 1 }
                if seen.deniedFlows > 0 { o.endpointsWithDeniedFlows += 1 }
            }
            observed = o
        }
        for change in d.policyChanges {
            switch change.verb {
            case .create: policiesCreated += 1
            case .modify: policiesModified += 1
            case .delete: policiesDeleted += 1
            }
        }
    }

    public var endpointsIngressUnprotected: Int { endpointsInScope - endpointsIngressProtected }
    public var endpointsEgressUnprotected: Int { endpointsInScope - endpointsEgressProtected }
}
