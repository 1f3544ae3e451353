import Policy

extension EndpointSelection {
    /// Whether the endpoint is in scope in this cluster state. Host endpoints belong to no
    /// namespace and have no service account, so a namespace or service-account group leaves
    /// them out.
    func includes(_ endpoint: ReportEndpoint, in cluster: Cluster) -> Bool {
        if let selector, !selector.matches(endpoint.selectorLabels) { return false }
        if let namespaces {
            guard endpoint.key.kind == .pod else { return false }
            let ns = endpoint.key.namespace
            let labels = cluster.namespaces[ns]?.labels ?? ["kubernetes.io/metadata.name": ns]
            if !namespaces.matches(name: ns, labels: labels) { return false }
        }
        if let serviceAccounts {
            guard endpoint.key.kind == .pod else { return false }
            let labels = cluster.serviceAccounts["\(endpoint.key.namespace)/\(endpoint.serviceAccount)"]?.labels ?? [:]
            if !serviceAccounts.matches(name: endpoint.serviceAccount, labels: labels) { return false }
        }
        return true
    }
}
