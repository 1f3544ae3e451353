import FlowCore

/// The cluster's policy: tiers, Calico and Kubernetes policies, network sets, and, kept
/// alongside as they are written, the paths those policies allow. Traffic is drawn from the
/// allowed paths, and denied traffic from combinations no policy allows, so the capture's
/// verdicts follow from the manifests.
///
/// Layout (calico-semantics §1.3): tiers security → platform → application… → default, every
/// non-default tier passing what it does not decide; the default tier holds the Kubernetes
/// policies and a `default-deny` selecting every pod outside kube-system.
struct PolicyCatalog {
    struct Tier {
        var name: String
        var order: Double
        var defaultAction: String
    }

    var tiers: [Tier] = []
    var globalPolicies: [YAMLNode] = []
    var networkPolicies: [YAMLNode] = []
    var stagedPolicies: [YAMLNode] = []
    var kubernetesPolicies: [YAMLNode] = []
    var networkSets: [YAMLNode] = []
    /// Allowed workload-to-workload paths (workload level, any pod of each side).
    var allowed: Set<PathKey> = []
    var allowedPaths: [TrafficPath] = []
    /// Service-to-service paths as policies allow them, weighted equally once all are known.
    var serviceEdges: [TrafficPath] = []

    var policyCount: Int {
        globalPolicies.count + networkPolicies.count + stagedPolicies.count + kubernetesPolicies.count
    }

    var securityTier: String { tiers[0].name }
    var platformTier: String { tiers.count >= 3 ? tiers[1].name : securityTier }
    /// Tiers for application teams' Calico policies (round-robin for the extra ones).
    var applicationTiers: [String] {
        tiers.count >= 4 ? tiers[2..<(tiers.count - 1)].map(\.name) : [platformTier]
    }

    init(cluster: ClusterPlan, options: GeneratorOptions, random: inout SeededRandom) {
        makeTiers(count: options.tiers)
        addNetworkSets(cluster)
        addSecurityPolicies()
        addPlatformPolicies(cluster)
        addApplicationPolicies(cluster)
        addNamespacePolicies(cluster)
        addGuardrails(cluster)
        addDefaultDeny()
        addExtraPolicies(cluster, target: options.policies, random: &random)
        for var edge in serviceEdges {
            edge.weight = Self.serviceTrafficShare / Double(serviceEdges.count)
            allowedPaths.append(edge)
        }
    }

    private mutating func makeTiers(count: Int) {
        let named = ["security", "platform", "application"]
        for i in 0..<(count - 1) {
            let name = i < named.count ? named[i] : "team-\(i - named.count + 1)"
            tiers.append(Tier(name: name, order: Double(100 * (i + 1)), defaultAction: "Pass"))
        }
        tiers.append(Tier(name: "default", order: 1_000_000, defaultAction: "Deny"))
    }

    // MARK: Baseline

    private mutating func addNetworkSets(_ cluster: ClusterPlan) {
        let threat = ExternalGroup.threatFeed
        networkSets.append(Manifests.calico("GlobalNetworkSet", name: threat.name, labels: [("threat-feed", "true")], spec: [
            ("nets", .strings([threat.networkV4.description, threat.networkV6.description])),
        ]))
        if let ns = paymentsNamespace(cluster) {
            let providers = ExternalGroup.paymentProviders
            networkSets.append(Manifests.calico("NetworkSet", name: providers.name, namespace: cluster.namespaces[ns].name,
                                                labels: [("role", "payment-provider")], spec: [
                ("nets", .strings([providers.networkV4.description, providers.networkV6.description])),
            ]))
        }
    }

    private mutating func addSecurityPolicies() {
        globalPolicies.append(Manifests.calico("GlobalNetworkPolicy", name: "deny-threat-feed", spec: [
            ("tier", .string(securityTier)), ("order", .int(10)), ("selector", .string("all()")),
            ("types", .strings(["Ingress", "Egress"])),
            ("ingress", .list([Manifests.rule("Deny", source: [("selector", .string("threat-feed == 'true'"))])])),
            ("egress", .list([Manifests.rule("Deny", destination: [("selector", .string("threat-feed == 'true'"))])])),
        ]))
        let dns: [(String, YAMLNode)] = [("selector", .string("k8s-app == 'kube-dns'")), ("ports", .list([.int(53)]))]
        globalPolicies.append(Manifests.calico("GlobalNetworkPolicy", name: "allow-dns", spec: [
            ("tier", .string(securityTier)), ("order", .int(20)), ("selector", .string("all()")),
            ("types", .strings(["Egress"])),
            ("egress", .list([Manifests.rule("Allow", protocol: "UDP", destination: dns),
                              Manifests.rule("Allow", protocol: "TCP", destination: dns)])),
        ]))
    }

    private mutating func addPlatformPolicies(_ cluster: ClusterPlan) {
        let prometheus: [(String, YAMLNode)] = [
            ("selector", .string("app == 'prometheus'")),
            ("namespaceSelector", .string("kubernetes.io/metadata.name == 'monitoring'")),
        ]
        globalPolicies.append(Manifests.calico("GlobalNetworkPolicy", name: "allow-prometheus-scrape", spec: [
            ("tier", .string(platformTier)), ("order", .int(100)), ("selector", .string("all()")),
            ("types", .strings(["Ingress"])),
            ("ingress", .list([
                Manifests.rule("Allow", protocol: "TCP", source: prometheus, destination: [("ports", .list([.string("metrics")]))]),
                Manifests.rule("Allow", protocol: "ICMP", source: prometheus),
                Manifests.rule("Allow", protocol: "ICMPv6", source: prometheus),
            ])),
        ]))
        guard let prom = cluster.workload(.prometheus, in: 1) else { return }
        var scrapeTargets = 0
        for w in cluster.workloads.indices where w != prom {
            if let metrics = cluster.workloads[w].role.containerPorts.first(where: { $0.name == "metrics" }) {
                allowed.insert(PathKey(client: prom, server: w, port: metrics.number))
                scrapeTargets += 1
            }
        }
        for w in cluster.workloads.indices where w != prom {
            guard let metrics = cluster.workloads[w].role.containerPorts.first(where: { $0.name == "metrics" }) else { continue }
            allowedPaths.append(TrafficPath(client: .workload(prom), server: .workload(w), port: metrics.number, transport: .tcp,
                                            application: .http, shape: .tcpSession, weight: 0.08 / Double(scrapeTargets)))
        }
        let frontends = cluster.workloads.indices.filter { cluster.workloads[$0].role == .frontend }
        for w in frontends {
            allowedPaths.append(TrafficPath(client: .workload(prom), server: .workload(w), port: 0, transport: .icmp,
                                            application: .http, shape: .icmpEcho, weight: 0.02 / Double(frontends.count)))
        }
    }

    /// In-cluster egress for everyone (the ingress side decides), DNS paths, the public
    /// frontends, and the payments API's providers.
    private mutating func addApplicationPolicies(_ cluster: ClusterPlan) {
        let appTier = applicationTiers[0]
        globalPolicies.append(Manifests.calico("GlobalNetworkPolicy", name: "allow-egress-in-cluster", spec: [
            ("tier", .string(appTier)), ("order", .int(500)), ("selector", .string("all()")),
            ("types", .strings(["Egress"])),
            // One rule per address family: Calico rejects a rule whose nets mix IPv4 and IPv6.
            ("egress", .list([
                Manifests.rule("Allow", destination: [("nets", .strings([ClusterPlan.podNetworkV4.description]))]),
                Manifests.rule("Allow", destination: [("nets", .strings([ClusterPlan.podNetworkV6.description]))]),
            ])),
        ]))
        if let dns = cluster.workload(.dns, in: 0) {
            let clients = cluster.workloads.indices.filter { $0 != dns }
            for w in clients {
                allowedPaths.append(TrafficPath(client: .workload(w), server: .workload(dns), port: 53, transport: .udp,
                                                application: .dns, shape: .dnsExchange, weight: 0.18 / Double(clients.count)))
            }
        }
        let everywhere: [[(String, YAMLNode)]] = [[("nets", .strings(["0.0.0.0/0"]))], [("nets", .strings(["::/0"]))]]
        let frontends = cluster.workloads.indices.filter { cluster.workloads[$0].role == .frontend }
        for (i, w) in frontends.enumerated() {
            let ns = cluster.namespaceName(of: w)
            networkPolicies.append(Manifests.calico("NetworkPolicy", name: "allow-public-web", namespace: ns, spec: [
                ("tier", .string(appTier)), ("order", .int(100)), ("selector", .string("app == 'frontend'")),
                ("types", .strings(["Ingress"])),
                ("ingress", .list(everywhere.map { source in
                    Manifests.rule("Allow", protocol: "TCP", source: source, destination: [("ports", .list([.int(8080), .int(8443)]))])
                })),
            ]))
            allowedPaths.append(TrafficPath(client: .external(.webClients), server: .workload(w), port: 8080, transport: .tcp,
                                            application: .http, shape: .tcpSession, weight: 0.10 / Double(frontends.count)))
            allowedPaths.append(TrafficPath(client: .external(.webClients), server: .workload(w), port: 8443, transport: .tcp,
                                            application: .tls, shape: .tcpSession, weight: 0.04 / Double(frontends.count)))
            // What the team means to enforce next: TLS only from outside. Staged, so it only
            // shows in the pending trace (plain HTTP flows would be denied).
            if i == 0 || i % 3 == 0 {
                stagedPolicies.append(Manifests.calico("StagedNetworkPolicy", name: "frontend-tls-only", namespace: ns, spec: [
                    ("tier", .string(appTier)), ("order", .int(50)), ("selector", .string("app == 'frontend'")),
                    ("types", .strings(["Ingress"])),
                    ("ingress", .list(everywhere.map { source in
                        Manifests.rule("Allow", protocol: "TCP", source: source, destination: [("ports", .list([.int(8443)]))])
                    } + everywhere.map { source in
                        Manifests.rule("Deny", protocol: "TCP", source: source, destination: [("ports", .list([.int(8080)]))])
                    })),
                ]))
            }
        }
        if let ns = paymentsNamespace(cluster), let api = cluster.workload(.api, in: ns) {
            networkPolicies.append(Manifests.calico("NetworkPolicy", name: "allow-payment-providers",
                                                    namespace: cluster.namespaces[ns].name, spec: [
                ("tier", .string(appTier)), ("order", .int(200)), ("selector", .string("app == 'api'")),
                ("types", .strings(["Egress"])),
                ("egress", .list([Manifests.rule("Allow", protocol: "TCP", destination: [
                    ("selector", .string("role == 'payment-provider'")), ("ports", .list([.int(443)])),
                ])])),
            ]))
            allowedPaths.append(TrafficPath(client: .workload(api), server: .external(.paymentProviders), port: 443,
                                            transport: .tcp, application: .tls, shape: .tcpSession, weight: 0.04))
        }
    }

    private mutating func addDefaultDeny() {
        globalPolicies.append(Manifests.calico("GlobalNetworkPolicy", name: "default-deny", spec: [
            ("tier", .string("default")), ("order", .int(2000)),
            ("selector", .string("projectcalico.org/namespace != 'kube-system'")),
            ("types", .strings(["Ingress", "Egress"])),
        ]))
    }

    func paymentsNamespace(_ cluster: ClusterPlan) -> Int? {
        cluster.applicationNamespaces.first { cluster.namespaces[$0].name == "payments" }
    }
}
