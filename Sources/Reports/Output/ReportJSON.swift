import ConfigAudit
import FlowCore

/// report.json: the whole report in one document, in the spirit of Calico's `ReportData`.
/// Field names are stable (docs/reports.md lists them); new fields may be added, none renamed.
public enum ReportJSON {
    public static let formatVersion = 1

    public static func render(_ d: ReportDocument) -> String {
        let s = ReportSummary(d)
        var j = JSONBuilder()
        j.open()
        j.number("formatVersion", formatVersion)
        j.string("id", d.id)
        j.string("reportName", d.spec.name)
        j.string("reportType", d.spec.type.rawValue)
        j.string("startTime", d.start.wholeSecondsRFC3339)
        j.string("endTime", d.end.wholeSecondsRFC3339)
        j.string("generationTime", d.generated.wholeSecondsRFC3339)
        j.open("stateSource")
        j.string("kind", d.provenance.kind.rawValue)
        j.strings("sources", d.provenance.sources)
        j.number("statesAssessed", d.statesAssessed)
        j.string("statement", d.provenance.statement)
        j.close()
        j.optionalString("flowStore", d.dataDirectory)
        j.open("scope")
        let e = d.spec.endpoints
        j.optionalString("endpointSelector", e.selector?.canonical)
        j.strings("namespaceNames", e.namespaces?.names ?? [])
        j.optionalString("namespaceSelector", e.namespaces?.selector?.canonical)
        j.strings("serviceAccountNames", e.serviceAccounts?.names ?? [])
        j.optionalString("serviceAccountSelector", e.serviceAccounts?.selector?.canonical)
        j.close()
        j.strings("privateNets", d.privateNetworks.prefixes.map(\.description))
        summary(&j, s)
        if let cis = d.cis {
            // ConfigAudit's own document (docs/config-audit.md), keys sorted.
            j.raw("cisBenchmark", (try? CISReportFormat.json(cis)) ?? "null")
        } else if d.spec.type != .policyAudit {
            j.open("endpoints", array: true)
            for a in d.endpoints { endpoint(&j, a, seen: d.observation(a.key)) }
            j.close(array: true)
            j.open("namespaces", array: true)
            for n in d.namespaces {
                j.open()
                j.string("namespace", n.name)
                j.number("endpoints", n.endpoints)
                j.bool("ingressProtected", n.ingressProtected)
                j.bool("egressProtected", n.egressProtected)
                j.number("endpointsIngressDefaultDeny", n.ingressDefaultDeny)
                j.number("endpointsEgressDefaultDeny", n.egressDefaultDeny)
                j.close()
            }
            j.close(array: true)
            j.open("services", array: true)
            for v in d.services {
                j.open()
                j.string("service", v.name)
                j.number("endpoints", v.endpoints)
                j.bool("ingressProtected", v.ingressProtected)
                j.number("endpointsIngressDefaultDeny", v.ingressDefaultDeny)
                j.close()
            }
            j.close(array: true)
        }
        if let evidence = d.evidence { flows(&j, evidence, d) }
        if d.spec.type == .policyAudit {
            j.open("auditEvents", array: true)
            for c in d.policyChanges { change(&j, c, withDocument: false) }
            j.close(array: true)
        }
        j.close()
        return j.text + "\n"
    }

    static func summary(_ j: inout JSONBuilder, _ s: ReportSummary) {
        j.open("summary")
        j.open("calico")
        j.number("endpointsNumInScope", s.endpointsInScope)
        j.number("endpointsNumIngressProtected", s.endpointsIngressProtected)
        j.number("endpointsNumEgressProtected", s.endpointsEgressProtected)
        j.number("endpointsNumIngressUnprotected", s.endpointsIngressUnprotected)
        j.number("endpointsNumEgressUnprotected", s.endpointsEgressUnprotected)
        j.number("endpointsNumIngressFromInternet", s.endpointsIngressFromInternet)
        j.number("endpointsNumEgressToInternet", s.endpointsEgressToInternet)
        j.number("endpointsNumIngressFromOtherNamespace", s.endpointsIngressFromOtherNamespace)
        j.number("endpointsNumEgressToOtherNamespace", s.endpointsEgressToOtherNamespace)
        j.number("endpointsNumEnvoyEnabled", s.endpointsEnvoyEnabled)
        j.number("namespacesNumInScope", s.namespacesInScope)
        j.number("namespacesNumIngressProtected", s.namespacesIngressProtected)
        j.number("namespacesNumEgressProtected", s.namespacesEgressProtected)
        j.number("serviceAccountsNumInScope", s.serviceAccountsInScope)
        j.number("numCreatedPolicies", s.policiesCreated)
        j.number("numModifiedPolicies", s.policiesModified)
        j.number("numDeletedPolicies", s.policiesDeleted)
        j.close()
        j.open("assessed")
        j.number("endpointsIngressDefaultDeny", s.endpointsIngressDefaultDeny)
        j.number("endpointsEgressDefaultDeny", s.endpointsEgressDefaultDeny)
        j.number("endpointsReachableFromInternet", s.endpointsReachableFromInternet)
        j.number("endpointsReachingInternet", s.endpointsReachingInternet)
        j.number("endpointsReachableFromOtherNamespace", s.endpointsReachableFromOtherNamespace)
        j.number("endpointsReachingOtherNamespace", s.endpointsReachingOtherNamespace)
        j.close()
        if let o = s.observed {
            j.open("observed")
            j.number("flowsInScope", o.flowsInScope)
            j.number("flowsAllowed", o.flowsAllowed)
            j.number("flowsDenied", o.flowsDenied)
            j.number("endpointsAllowedFromInternet", o.endpointsAllowedFromInternet)
            j.number("endpointsAllowedToInternet", o.endpointsAllowedToInternet)
            j.number("endpointsWithOtherNamespacePeers", o.endpointsWithOtherNamespacePeers)
            j.number("endpointsWithDeniedFlows", o.endpointsWithDeniedFlows)
            j.close()
        }
        j.close()
    }

    static func endpoint(_ j: inout JSONBuilder, _ a: EndpointAssessment, seen: EndpointObservation?) {
        j.open()
        j.string("endpoint", a.key.calicoName)
        j.string("kind", a.key.kind == .pod ? "Pod" : "HostEndpoint")
        j.string("namespace", a.key.namespace)
        j.string("name", a.key.name)
        j.string("serviceAccount", a.serviceAccount)
        j.string("trafficAggregationPrefix", a.aggregationPrefix)
        j.strings("appliedPolicies", a.appliedPolicies)
        j.strings("services", a.services)
        j.open("calico")
        j.bool("ingressProtected", a.calico.ingressProtected)
        j.bool("egressProtected", a.calico.egressProtected)
        j.bool("ingressFromInternet", a.calico.ingressFromInternet)
        j.bool("egressToInternet", a.calico.egressToInternet)
        j.bool("ingressFromOtherNamespace", a.calico.ingressFromOtherNamespace)
        j.bool("egressToOtherNamespace", a.calico.egressToOtherNamespace)
        j.bool("envoyEnabled", false)
        j.close()
        j.open("assessed")
        j.bool("ingressDefaultDeny", a.assessed.ingressDefaultDeny)
        j.bool("egressDefaultDeny", a.assessed.egressDefaultDeny)
        j.bool("reachableFromInternet", a.assessed.ingressFromInternet)
        j.bool("reachesInternet", a.assessed.egressToInternet)
        j.bool("reachableFromOtherNamespace", a.assessed.ingressFromOtherNamespace)
        j.bool("reachesOtherNamespace", a.assessed.egressToOtherNamespace)
        j.strings("findings", a.findings)
        j.close()
        if let o = seen {
            j.open("observed")
            j.number("allowedFlows", o.allowedFlows)
            j.number("allowedFromInternet", o.allowedFromInternet)
            j.number("allowedToInternet", o.allowedToInternet)
            j.number("deniedIngress", o.deniedIngress)
            j.number("deniedEgress", o.deniedEgress)
            j.strings("otherNamespaceSources", o.otherNamespaceSources.sorted())
            j.strings("otherNamespaceDestinations", o.otherNamespaceDestinations.sorted())
            j.strings("sources", o.sources.sorted())
            j.strings("destinations", o.destinations.sorted())
            j.close()
        }
        j.close()
    }

    static func flows(_ j: inout JSONBuilder, _ e: FlowEvidence, _ d: ReportDocument) {
        j.open("flows")
        j.number("flowsScanned", e.flowsScanned)
        j.number("unreadableBlocks", e.unreadableBlocks)
        j.open("matrix", array: true)
        for source in e.matrix.keys.sorted() {
            for (destination, cell) in e.matrix[source]!.sorted(by: { $0.key < $1.key }) {
                j.open()
                j.string("source", source)
                j.string("destination", destination)
                j.number("allowed", cell.allowed)
                j.number("denied", cell.denied)
                j.close()
            }
        }
        j.close(array: true)
        j.open("timeline", array: true)
        for (i, cell) in e.timeline.enumerated() {
            j.open()
            j.string("start", Timestamp(nanoseconds: d.start.nanoseconds &+ UInt64(i) &* e.bucketNanoseconds).wholeSecondsRFC3339)
            j.number("allowed", cell.allowed)
            j.number("denied", cell.denied)
            j.close()
        }
        j.close(array: true)
        j.open("topDenied", array: true)
        for g in e.topDenied {
            j.open()
            j.string("source", g.source)
            j.string("destination", g.destination)
            j.string("protocol", g.ipProtocol)
            j.number("destinationPort", g.destinationPort)
            j.number("flows", g.flows)
            j.number("packets", g.packets)
            j.close()
        }
        j.close(array: true)
        j.close()
    }

    /// One policy change; events.json adds the document the history holds, report.json leaves
    /// it out (it can be large, and events.json has it).
    static func change(_ j: inout JSONBuilder, _ c: PolicyChange, withDocument: Bool) {
        j.open()
        j.string("time", c.time.wholeSecondsRFC3339)
        j.string("verb", c.verb.rawValue)
        j.string("kind", c.kind)
        j.string("namespace", c.namespace)
        j.string("name", c.name)
        j.string("author", c.author)
        if withDocument { j.string("document", c.document) }
        j.close()
    }
}
