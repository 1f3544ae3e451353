import FlowCore

/// The made-up Kubernetes cluster behind `SyntheticFlowGenerator`: namespaces of Deployments
/// whose pods carry generateName-style names and labels, their Services and dependencies, the
/// nodes, kube-dns, an ingress controller, and the Calico policy traces flows between them get.
struct SyntheticCluster {
    struct App {
        var namespace: String
        var name: String
        var port: UInt16
        var pods: [Int]
        var dependencies: [Int]
        var service: String
    }

    struct Pod {
        var app: Int
        var identity: EndpointIdentity
        var address: IPAddress
        var node: String
    }

    var namespaces: [String] = []
    /// Namespaces whose pods are isolated by a default-deny policy (flows outside the allowed
    /// dependencies are denied there), and those with staged policies under review.
    var isolated: Set<String> = []
    var staged: Set<String> = []
    var apps: [App] = []
    var pods: [Pod] = []
    var nodes: [(name: String, address: IPAddress)] = []
    var dnsApp = 0
    var ingressApp = 0
    var externalServers: [IPAddress] = []
    var externalClients: [IPAddress] = []
    private var traceCache: [String: PolicyTrace] = [:]

    static let teams = ["shop", "payments", "search", "identity", "billing", "catalog", "media", "ml", "analytics",
                        "notifications", "orders", "shipping", "reviews", "ads", "chat", "maps", "reports", "audit",
                        "support", "growth", "data", "edge", "mobile", "partners", "pricing", "inventory", "loyalty"]
    static let roles = ["api", "web", "worker", "db", "cache", "queue", "frontend", "backend", "gateway", "indexer", "scheduler"]
    static let ports: [UInt16] = [8080, 80, 443, 5432, 6379, 9092, 3000, 8443, 9090, 50051, 27017, 3306]
    static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    init(seed: UInt64, namespaceCount: Int, podCount: Int) {
        var rng = SplitMix64(seed: seed)
        for i in 0..<8 {
            nodes.append(("node-\(i + 1).cluster.internal", IPAddress(ipv4: 0x0A00_0000 | UInt32(10 + i))))
        }
        namespaces = ["kube-system", "ingress-nginx", "monitoring"]
        for i in 0..<max(1, namespaceCount - 3) {
            let team = Self.teams[i % Self.teams.count]
            namespaces.append(i < Self.teams.count ? team : "\(team)-\(i / Self.teams.count + 1)")
        }
        for (i, ns) in namespaces.enumerated() where i >= 3 {
            if rng.next() % 10 < 6 { isolated.insert(ns) }
            if rng.next() % 10 < 2 { staged.insert(ns) }
        }

        dnsApp = addApp(namespace: "kube-system", name: "coredns", port: 53, replicas: 2, rng: &rng)
        ingressApp = addApp(namespace: "ingress-nginx", name: "ingress-nginx-controller", port: 443, replicas: 3, rng: &rng)
        _ = addApp(namespace: "monitoring", name: "prometheus", port: 9090, replicas: 2, rng: &rng)
        var podBudget = podCount - pods.count
        var n = 0
        while podBudget > 0 {
            let ns = namespaces[3 + n % (namespaces.count - 3)]
            let role = Self.roles[Int(rng.next() % UInt64(Self.roles.count))]
            let replicas = min(podBudget, 1 + Int(rng.next() % 5))
            let port = Self.ports[Int(rng.next() % UInt64(Self.ports.count))]
            _ = addApp(namespace: ns, name: "\(ns)-\(role)-\(n / (namespaces.count - 3))", port: port, replicas: replicas, rng: &rng)
            podBudget -= replicas
            n += 1
        }
        // Dependencies: mostly within the namespace, some across.
        for a in apps.indices where a != dnsApp && a != ingressApp {
            var deps: [Int] = []
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let sameNamespace = apps.indices.filter { apps[$0].namespace == apps[a].namespace && $0 != a }
                let pick = !sameNamespace.isEmpty && rng.next() % 4 != 0
                    ? sameNamespace[Int(rng.next() % UInt64(sameNamespace.count))]
                    : Int(rng.next() % UInt64(apps.count))
                if pick != a && pick != dnsApp && !deps.contains(pick) { deps.append(pick) }
            }
            apps[a].dependencies = deps
        }
        let frontends = apps.indices.filter { apps[$0].name.contains("web") || apps[$0].name.contains("frontend") || apps[$0].name.contains("gateway") }
        apps[ingressApp].dependencies = frontends.isEmpty ? [apps.count - 1] : frontends
        for _ in 0..<200 { externalServers.append(IPAddress(ipv4: 0x3400_0000 | UInt32(truncatingIfNeeded: rng.next() & 0x00FF_FFFF))) }
        for _ in 0..<5000 { externalClients.append(IPAddress(ipv4: UInt32(truncatingIfNeeded: 0x5000_0000 + rng.next() % 0x5000_0000))) }
    }

    private mutating func addApp(namespace: String, name: String, port: UInt16, replicas: Int, rng: inout SplitMix64) -> Int {
        let index = apps.count
        var hash = ""
        for _ in 0..<10 { hash.append(Self.alphabet[Int(rng.next() % UInt64(Self.alphabet.count))]) }
        let generateName = "\(name)-\(hash)-"
        let account = rng.next() % 3 == 0 ? "default" : name
        var podIndexes: [Int] = []
        for _ in 0..<replicas {
            var suffix = ""
            for _ in 0..<5 { suffix.append(Self.alphabet[Int(rng.next() % UInt64(Self.alphabet.count))]) }
            var labels = ["app": name, "pod-template-hash": hash, "app.kubernetes.io/part-of": namespace]
            if rng.next() % 2 == 0 { labels["version"] = "v\(1 + rng.next() % 3)" }
            if port == 5432 || port == 27017 || port == 3306 { labels["tier"] = "data" }
            let identity = EndpointIdentity(kind: .workload, namespace: namespace, name: generateName + suffix,
                                            aggregatedName: generateName + "*", labels: labels, serviceAccount: account)
            let podNumber = pods.count
            let address = IPAddress(ipv4: 0x0AF4_0000 | UInt32(podNumber / 250) << 8 | UInt32(2 + podNumber % 250))
            pods.append(Pod(app: index, identity: identity, address: address, node: nodes[Int(rng.next() % UInt64(nodes.count))].name))
            podIndexes.append(podNumber)
        }
        apps.append(App(namespace: namespace, name: name, port: port, pods: podIndexes, dependencies: [], service: "\(namespace)/\(name)"))
        return index
    }

    // MARK: - Policy traces

    /// Egress at a pod: a security-tier pass, then the namespace's allow (or the profile when
    /// the namespace has no policy).
    mutating func egressTrace(from app: Int, allowed: Bool) -> PolicyTrace {
        let ns = apps[app].namespace
        let key = "e|\(app)|\(allowed)"
        if let cached = traceCache[key] { return cached }
        var hits = [PolicyHit(index: 0, tier: "security", kind: .globalNetworkPolicy, name: "block-cloud-metadata", action: .pass, ruleIndex: 1)]
        if isolated.contains(ns) {
            hits.append(allowed
                ? PolicyHit(index: 1, tier: "default", kind: .networkPolicy, namespace: ns, name: "\(apps[app].name)-egress", action: .allow, ruleIndex: Int(app % 3))
                : PolicyHit(index: 1, tier: "default", kind: .networkPolicy, namespace: ns, name: "default-deny", action: .deny, ruleIndex: -1))
        } else {
            hits.append(PolicyHit(index: 1, tier: PolicyHit.profileTier, kind: .profile, name: "kns.\(ns)", action: .allow, ruleIndex: 0))
        }
        let trace = PolicyTrace(reporter: .source, action: allowed || !isolated.contains(ns) ? .allow : .deny, hits: hits)
        traceCache[key] = trace
        return trace
    }

    mutating func ingressTrace(to app: Int, allowed: Bool) -> PolicyTrace {
        let ns = apps[app].namespace
        let key = "i|\(app)|\(allowed)"
        if let cached = traceCache[key] { return cached }
        var hits = [PolicyHit(index: 0, tier: "security", kind: .globalNetworkPolicy, name: "quarantine", action: .pass, ruleIndex: 0)]
        if isolated.contains(ns) {
            hits.append(allowed
                ? PolicyHit(index: 1, tier: "default", kind: .kubernetesNetworkPolicy, namespace: ns, name: "\(apps[app].name)-ingress", action: .allow, ruleIndex: Int(app % 2))
                : PolicyHit(index: 1, tier: "default", kind: .kubernetesNetworkPolicy, namespace: ns, name: "default-deny-ingress", action: .deny, ruleIndex: -1))
        } else {
            hits.append(PolicyHit(index: 1, tier: PolicyHit.profileTier, kind: .profile, name: "kns.\(ns)", action: .allow, ruleIndex: 0))
        }
        let trace = PolicyTrace(reporter: .destination, action: allowed || !isolated.contains(ns) ? .allow : .deny, hits: hits)
        traceCache[key] = trace
        return trace
    }

    /// A staged lockdown under review in the destination's namespace, when it has one.
    mutating func pendingIngressTrace(to app: Int, allowed: Bool) -> PolicyTrace? {
        let ns = apps[app].namespace
        guard staged.contains(ns) else { return nil }
        let key = "p|\(app)|\(allowed)"
        if let cached = traceCache[key] { return cached }
        let trace = PolicyTrace(reporter: .destination, action: allowed ? .allow : .deny, hits: [
            PolicyHit(index: 0, tier: "default", kind: .stagedNetworkPolicy, namespace: ns, name: "lockdown",
                      action: allowed ? .allow : .deny, ruleIndex: allowed ? 0 : -1),
        ])
        traceCache[key] = trace
        return trace
    }
}
