import FlowCore

/// The CSV downloads: Calico's files with Calico's exact columns (compliance §1.4), and
/// flowlog's own files (`*-flowlog.csv`) with the honest and observed columns beside Calico's flags.
public enum ReportCSV {
    /// Every summary.csv starts with these (Calico's S7 scope columns).
    public static let scopeColumns = ["startTime", "endTime", "endpointSelector", "namespaceNames", "namespaceSelector",
                                      "serviceAccountNames", "serviceAccountSelectors"]
    public static let inventorySummary = scopeColumns + [
        "endpointsNumInScope", "endpointsNumIngressProtected", "endpointsNumEgressProtected", "namespacesNumInScope",
        "namespacesNumIngressProtected", "namespacesNumEgressProtected", "serviceAccountsNumInScope"]
    public static let inventoryEndpoints = ["endpoint", "ingressProtected", "egressProtected", "envoyEnabled", "appliedPolicies", "services"]
    public static let inventoryNamespaces = ["namespace", "ingressProtected", "egressProtected", "envoyEnabled"]
    public static let inventoryServices = ["service", "ingressProtected", "envoyEnabled"]
    public static let networkAccessSummary = scopeColumns + [
        "endpointsNumIngressProtected", "endpointsNumEgressProtected", "endpointsNumIngressUnprotected",
        "endpointsNumEgressUnprotected", "endpointsNumIngressFromInternet", "endpointsNumEgressToInternet",
        "endpointsNumIngressFromOtherNamespace", "endpointsNumEgressToOtherNamespace", "endpointsNumEnvoyEnabled"]
    public static let networkAccessEndpoints = [
        "endpoint", "ingressProtected", "egressProtected", "ingressFromInternet", "egressToInternet",
        "ingressFromOtherNamespace", "egressToOtherNamespace", "envoyEnabled", "appliedPolicies", "trafficAggregationPrefix",
        "endpointsGeneratingTrafficToThisEndpoint", "endpointsReceivingTrafficFromThisEndpoint"]
    public static let policyAuditSummary = scopeColumns + ["numCreatedPolicies", "numModifiedPolicies", "numDeletedPolicies"]

    /// flowlog's per-endpoint file: Calico's two flags, then the tier engine's reading, then
    /// what the flow store shows (empty cells without `--data`).
    public static let flowlogEndpoints = [
        "endpoint", "calicoIngressProtected", "calicoEgressProtected", "ingressDefaultDeny", "egressDefaultDeny",
        "reachableFromInternet", "reachesInternet", "reachableFromOtherNamespace", "reachesOtherNamespace",
        "observedAllowedFlows", "observedAllowedFromInternet", "observedAllowedToInternet", "observedDeniedIngress",
        "observedDeniedEgress", "observedOtherNamespaceSources", "observedOtherNamespaceDestinations", "findings"]
    /// flowlog's per-namespace counts (the HTML coverage plot draws these).
    public static let flowlogNamespaces = [
        "namespace", "endpoints", "calicoIngressProtected", "calicoEgressProtected", "ingressDefaultDeny", "egressDefaultDeny"]

    /// File name → contents, for the report's type.
    public static func files(_ d: ReportDocument) -> [(name: String, contents: String)] {
        let s = ReportSummary(d)
        switch d.spec.type {
        case .inventory:
            var summary = CSVTable(header: inventorySummary)
            summary.append(scope(d) + [s.endpointsInScope, s.endpointsIngressProtected, s.endpointsEgressProtected,
                                       s.namespacesInScope, s.namespacesIngressProtected, s.namespacesEgressProtected,
                                       s.serviceAccountsInScope].map(String.init))
            var endpoints = CSVTable(header: inventoryEndpoints)
            for e in d.endpoints {
                endpoints.append([e.key.calicoName, e.calico.ingressProtected.csv, e.calico.egressProtected.csv, false.csv,
                                  e.appliedPolicies.joined(separator: ";"), e.services.joined(separator: ";")])
            }
            var namespaces = CSVTable(header: inventoryNamespaces)
            for n in d.namespaces { namespaces.append([n.name, n.ingressProtected.csv, n.egressProtected.csv, false.csv]) }
            var services = CSVTable(header: inventoryServices)
            for v in d.services { services.append([v.name, v.ingressProtected.csv, false.csv]) }
            return [("summary.csv", summary.text), ("endpoints.csv", endpoints.text), ("namespaces.csv", namespaces.text),
                    ("services.csv", services.text), ("endpoints-flowlog.csv", flowlogEndpointsFile(d)),
                    ("namespaces-flowlog.csv", flowlogNamespacesFile(d))]
        case .networkAccess:
            var summary = CSVTable(header: networkAccessSummary)
            summary.append(scope(d) + [s.endpointsIngressProtected, s.endpointsEgressProtected, s.endpointsIngressUnprotected,
                                       s.endpointsEgressUnprotected, s.endpointsIngressFromInternet, s.endpointsEgressToInternet,
                                       s.endpointsIngressFromOtherNamespace, s.endpointsEgressToOtherNamespace,
                                       s.endpointsEnvoyEnabled].map(String.init))
            var endpoints = CSVTable(header: networkAccessEndpoints)
            for e in d.endpoints {
                let seen = d.observation(e.key)
                endpoints.append([
                    e.key.calicoName, e.calico.ingressProtected.csv, e.calico.egressProtected.csv, e.calico.ingressFromInternet.csv,
                    e.calico.egressToInternet.csv, e.calico.ingressFromOtherNamespace.csv, e.calico.egressToOtherNamespace.csv,
                    false.csv, e.appliedPolicies.joined(separator: ";"), e.aggregationPrefix,
                    (seen?.sources.sorted() ?? []).joined(separator: ";"), (seen?.destinations.sorted() ?? []).joined(separator: ";")])
            }
            return [("summary.csv", summary.text), ("endpoints.csv", endpoints.text),
                    ("endpoints-flowlog.csv", flowlogEndpointsFile(d)), ("namespaces-flowlog.csv", flowlogNamespacesFile(d))]
        case .policyAudit:
            var summary = CSVTable(header: policyAuditSummary)
            summary.append(scope(d) + [s.policiesCreated, s.policiesModified, s.policiesDeleted].map(String.init))
            return [("summary.csv", summary.text)]
        case .cisBenchmark:
            return d.cis.map { cisFiles(d, $0) } ?? []
        }
    }

    static func scope(_ d: ReportDocument) -> [String] {
        let e = d.spec.endpoints
        return [d.start.wholeSecondsRFC3339, d.end.wholeSecondsRFC3339, e.selector?.canonical ?? "",
                (e.namespaces?.names ?? []).joined(separator: ";"), e.namespaces?.selector?.canonical ?? "",
                (e.serviceAccounts?.names ?? []).joined(separator: ";"), e.serviceAccounts?.selector?.canonical ?? ""]
    }

    static func flowlogEndpointsFile(_ d: ReportDocument) -> String {
        var table = CSVTable(header: flowlogEndpoints)
        for e in d.endpoints {
            let seen = d.observation(e.key)
            let observed: [String] = seen.map {
                [String($0.allowedFlows), String($0.allowedFromInternet), String($0.allowedToInternet), String($0.deniedIngress),
                 String($0.deniedEgress), $0.otherNamespaceSources.sorted().joined(separator: ";"),
                 $0.otherNamespaceDestinations.sorted().joined(separator: ";")]
            } ?? Array(repeating: "", count: 7)
            table.append([e.key.calicoName, e.calico.ingressProtected.csv, e.calico.egressProtected.csv,
                          e.assessed.ingressDefaultDeny.csv, e.assessed.egressDefaultDeny.csv, e.assessed.ingressFromInternet.csv,
                          e.assessed.egressToInternet.csv, e.assessed.ingressFromOtherNamespace.csv,
                          e.assessed.egressToOtherNamespace.csv] + observed + [e.findings.joined(separator: ";")])
        }
        return table.text
    }

    static func flowlogNamespacesFile(_ d: ReportDocument) -> String {
        var table = CSVTable(header: flowlogNamespaces)
        for n in d.namespaces {
            table.append([n.name] + [n.endpoints, n.calicoIngressProtected, n.calicoEgressProtected, n.ingressDefaultDeny,
                                     n.egressDefaultDeny].map(String.init))
        }
        return table.text
    }
}
