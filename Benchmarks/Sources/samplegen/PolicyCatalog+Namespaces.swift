import FlowCore

/// Kubernetes NetworkPolicies of each application namespace, and the extra policies that
/// bring a large cluster up to the requested count.
extension PolicyCatalog {
    /// Service-to-service paths share this much of the allowed traffic.
    static let serviceTrafficShare = 0.40

    /// One policy per serving workload: its in-namespace callers may reach its service ports;
    /// and each namespace's API accepts calls from the previous namespace's API.
    mutating func addNamespacePolicies(_ cluster: ClusterPlan) {
        var previousAPI: Int?
        for ns in cluster.applicationNamespaces {
            let nsName = cluster.namespaces[ns].name
            for server in cluster.namespaces[ns].workloads {
                let role = cluster.workloads[server].role
                let clients = cluster.namespaces[ns].workloads.filter { role.clientRoles.contains(cluster.workloads[$0].role) }
                guard !clients.isEmpty else { continue }
                let clientApps = clients.map { cluster.workloads[$0].app }
                let peer: YAMLNode = clientApps.count == 1
                    ? .map([("podSelector", .map([("matchLabels", .labels([("app", clientApps[0])]))]))])
                    : .map([("podSelector", .map([("matchExpressions", .list([.map([
                        ("key", .string("app")), ("operator", .string("In")), ("values", .strings(clientApps)),
                    ])]))]))])
                let ports = role.servicePorts.map { YAMLNode.map([("protocol", .string("TCP")), ("port", .int(Int($0.number)))]) }
                kubernetesPolicies.append(Manifests.kubernetesPolicy(name: "allow-to-\(role.app)", namespace: nsName,
                                                                     podSelector: [("app", role.app)], ingress: [
                    .map([("from", .list([peer])), ("ports", .list(ports))]),
                ]))
                for client in clients {
                    for port in role.servicePorts { allowService(client: client, server: server, port: port.number, cluster) }
                }
            }
            if let api = cluster.workload(.api, in: ns) {
                if let caller = previousAPI {
                    let callerNamespace = cluster.namespaceName(of: caller)
                    kubernetesPolicies.append(Manifests.kubernetesPolicy(name: "allow-api-from-\(callerNamespace)", namespace: nsName,
                                                                         podSelector: [("app", "api")], ingress: [
                        .map([
                            ("from", .list([.map([
                                ("namespaceSelector", .map([("matchLabels", .labels([("kubernetes.io/metadata.name", callerNamespace)]))])),
                                ("podSelector", .map([("matchLabels", .labels([("app", "api")]))])),
                            ])])),
                            ("ports", .list([.map([("protocol", .string("TCP")), ("port", .string("http"))])])),
                        ]),
                    ]))
                    allowService(client: caller, server: api, port: 8080, cluster)
                }
                previousAPI = api
            }
        }
    }

    mutating func allowService(client: Int, server: Int, port: UInt16, _ cluster: ClusterPlan) {
        guard allowed.insert(PathKey(client: client, server: server, port: port)).inserted else { return }
        serviceEdges.append(TrafficPath(client: .workload(client), server: .workload(server), port: port, transport: .tcp,
                                        application: port == 9000 ? .http : cluster.workloads[server].role.application,
                                        shape: .tcpSession, weight: 1))
    }

    /// Brings the policy count up to `target`: each extra policy lets one more workload reach
    /// another's service port, alternating Calico policies in the application tiers (some with a
    /// leading Log rule) and Kubernetes policies. Stops early if every path is already allowed.
    mutating func addExtraPolicies(_ cluster: ClusterPlan, target: Int, random: inout SeededRandom) {
        let clients = cluster.applicationNamespaces.flatMap { cluster.namespaces[$0].workloads }
        let servers = clients.filter { !cluster.workloads[$0].role.servicePorts.isEmpty }
        guard !clients.isEmpty, !servers.isEmpty else { return }
        var serial = 0
        var misses = 0
        while policyCount < target && misses < 10_000 {
            let client = clients[random.int(0...(clients.count - 1))]
            let server = servers[random.int(0...(servers.count - 1))]
            let ports = cluster.workloads[server].role.servicePorts
            let port = ports[random.int(0...(ports.count - 1))]
            guard client != server, !isAllowed(client: client, server: server, port: port.number, cluster) else {
                misses += 1
                continue
            }
            serial += 1
            let c = cluster.workloads[client], s = cluster.workloads[server]
            let clientNamespace = cluster.namespaces[c.namespace].name
            let serverNamespace = cluster.namespaces[s.namespace].name
            let name = "allow-\(c.app)-\(clientNamespace)-to-\(s.app)-\(serial)"
            if serial % 2 == 1 {
                let tier = applicationTiers[(serial / 2) % applicationTiers.count]
                var source: [(String, YAMLNode)] = [("selector", .string("app == '\(c.app)'"))]
                if clientNamespace != serverNamespace {
                    source.append(("namespaceSelector", .string("kubernetes.io/metadata.name == '\(clientNamespace)'")))
                }
                var rules: [YAMLNode] = []
                if serial % 5 == 1 { rules.append(.map([("action", .string("Log")), ("protocol", .string("TCP"))])) }
                rules.append(Manifests.rule("Allow", protocol: "TCP", source: source,
                                            destination: [("ports", .list([.string(port.name)]))]))
                networkPolicies.append(Manifests.calico("NetworkPolicy", name: name, namespace: serverNamespace, spec: [
                    ("tier", .string(tier)), ("order", .int(1000 + serial)), ("selector", .string("app == '\(s.app)'")),
                    ("types", .strings(["Ingress"])), ("ingress", .list(rules)),
                ]))
            } else {
                var peer: [(String, YAMLNode)] = [("podSelector", .map([("matchLabels", .labels([("app", c.app)]))]))]
                if clientNamespace != serverNamespace {
                    peer.insert(("namespaceSelector", .map([("matchLabels", .labels([("kubernetes.io/metadata.name", clientNamespace)]))])), at: 0)
                }
                kubernetesPolicies.append(Manifests.kubernetesPolicy(name: name, namespace: serverNamespace,
                                                                     podSelector: [("app", s.app)], ingress: [
                    .map([("from", .list([.map(peer)])),
                          ("ports", .list([.map([("protocol", .string("TCP")), ("port", .int(Int(port.number)))])]))]),
                ]))
            }
            allowService(client: client, server: server, port: port.number, cluster)
        }
    }

    /// Whether the manifests allow `client` to open a connection to `server` on `port`
    /// (both workloads): kube-system is not selected by the default deny, Prometheus may scrape
    /// metrics ports, frontends' web ports are public, and the rest needs an allowing policy.
    func isAllowed(client: Int, server: Int, port: UInt16, _ cluster: ClusterPlan) -> Bool {
        let s = cluster.workloads[server]
        if s.namespace == 0 { return true }
        if s.role == .frontend && (port == 8080 || port == 8443) { return true }
        return allowed.contains(PathKey(client: client, server: server, port: port))
    }
}
