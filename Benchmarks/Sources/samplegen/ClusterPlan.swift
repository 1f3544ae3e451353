import FlowCore

/// The synthetic cluster: namespaces, workloads and their pods, services, external hosts.
/// Everything the manifests describe and the traffic uses comes from here, so the addresses in
/// the capture are exactly the pods' and external hosts' addresses.
struct ClusterPlan {
    struct Namespace {
        var name: String
        var labels: [(String, String)]
        var workloads: [Int] = []
    }

    struct Workload {
        var namespace: Int
        var role: WorkloadRole
        var templateHash: String
        var pods: Range<Int> = 0..<0
        /// Index into `services`, for roles that serve.
        var service: Int?
        var app: String { role.app }
    }

    struct Pod {
        var workload: Int
        var name: String
        var generateName: String?
        var node: Int
        var ipv4: IPAddress
        var ipv6: IPAddress
        var mac: UInt64
    }

    struct Service {
        var workload: Int
        var name: String
        var clusterIPv4: IPAddress
        var clusterIPv6: IPAddress
    }

    var namespaces: [Namespace] = []
    var workloads: [Workload] = []
    var pods: [Pod] = []
    var services: [Service] = []
    var nodeCount = 1
    var external = ExternalHosts()

    /// Pod network (what `allow-egress-in-cluster` allows) and service network.
    static let podNetworkV4 = IPPrefix("10.244.0.0/16")!
    static let podNetworkV6 = IPPrefix("fd00:10:244::/48")!

    /// Namespaces 0 and 1 are always kube-system and monitoring; application namespaces follow
    /// a fixed list of shapes so that small clusters (the committed demo) read like a shop.
    static let applicationShapes: [(name: String, roles: [WorkloadRole])] = [
        ("shop", [.frontend, .api, .cache, .worker]),
        ("payments", [.api, .database]),
        ("catalog", [.api, .search, .database, .cache]),
        ("checkout", [.frontend, .api, .queue, .worker]),
        ("accounts", [.auth, .database, .cache]),
        ("inventory", [.api, .database, .worker]),
        ("shipping", [.api, .queue, .worker]),
        ("reviews", [.frontend, .api, .database]),
        ("notifications", [.api, .queue, .worker]),
        ("analytics", [.api, .search, .worker]),
    ]

    init(options: GeneratorOptions, random: inout SeededRandom) throws {
        addNamespace("kube-system", labels: [])
        addNamespace("monitoring", labels: [("team", "platform")])
        for index in 0..<(options.namespaces - 2) {
            let shape = Self.applicationShapes[index % Self.applicationShapes.count]
            let round = index / Self.applicationShapes.count
            let name = round == 0 ? shape.name : "\(shape.name)-\(round + 1)"
            addNamespace(name, labels: [("env", index % 3 == 2 ? "staging" : "prod"), ("team", shape.name)])
        }
        addWorkload(namespace: 0, role: .dns, random: &random)
        addWorkload(namespace: 1, role: .prometheus, random: &random)
        for index in 0..<(options.namespaces - 2) {
            for role in Self.applicationShapes[index % Self.applicationShapes.count].roles {
                addWorkload(namespace: index + 2, role: role, random: &random)
            }
        }
        guard options.pods >= workloads.count + 1 else {
            throw FlowlogError(.invalidArgument,
                               "\(options.namespaces) namespaces have \(workloads.count) workloads and need at least \(workloads.count + 1) pods",
                               location: .init(field: "--pods"))
        }
        nodeCount = max(1, (options.pods + 99) / 100)
        assignPods(total: options.pods, random: &random)
        addServices()
        external = ExternalHosts(count: options.externalHosts)
    }

    private mutating func addNamespace(_ name: String, labels: [(String, String)]) {
        namespaces.append(Namespace(name: name, labels: [("kubernetes.io/metadata.name", name)] + labels))
    }

    private mutating func addWorkload(namespace: Int, role: WorkloadRole, random: inout SeededRandom) {
        namespaces[namespace].workloads.append(workloads.count)
        workloads.append(Workload(namespace: namespace, role: role, templateHash: random.podTemplateHash()))
    }

    /// Replicas by role weight (frontends and APIs scale out, databases barely), at least one
    /// each; the two DNS pods come first as in a fresh cluster.
    private mutating func assignPods(total: Int, random: inout SeededRandom) {
        var replicas = [Int](repeating: 1, count: workloads.count)
        replicas[0] = total >= workloads.count + 1 ? 2 : 1
        var spare = total - replicas.reduce(0, +)
        let weights = workloads.map { $0.role.replicaWeight }
        let weightSum = weights.reduce(0, +)
        if spare > 0 && weightSum > 0 {
            var shares = weights.map { Double(spare) * $0 / weightSum }
            for i in replicas.indices {
                let whole = Int(shares[i])
                replicas[i] += whole
                shares[i] -= Double(whole)
                spare -= whole
            }
            // Largest remainders, ties by index, take what rounding left over.
            let order = shares.indices.sorted { shares[$0] != shares[$1] ? shares[$0] > shares[$1] : $0 < $1 }
            for i in order.prefix(spare) { replicas[i] += 1 }
        }
        var slotsUsed = [Int](repeating: 0, count: nodeCount)
        for w in workloads.indices {
            let first = pods.count
            for ordinal in 0..<replicas[w] {
                let node = pods.count % nodeCount
                let slot = slotsUsed[node]
                slotsUsed[node] += 1
                let host = UInt32(2 + slot)  // .0 is the network, .1 the node's tunnel address
                let v4 = IPAddress(ipv4: 0x0AF4_0000 | UInt32(node) << 8 | host)
                let v6 = IPAddress(ipv6High: 0xFD00_0010_0244_0000 | UInt64(node), low: UInt64(host))
                let workload = workloads[w]
                let name: String
                let generateName: String?
                if workload.role.isStateful {
                    name = "\(workload.app)-\(ordinal)"
                    generateName = nil
                } else {
                    generateName = "\(workload.app)-\(workload.templateHash)-"
                    name = generateName! + random.nameSuffix(length: 5)
                }
                // Container-side veth MAC in the 0a:58 form derived from the IPv4 address.
                let mac = 0x0A58_0000_0000 | UInt64(v4.ipv4Value!)
                pods.append(Pod(workload: w, name: name, generateName: generateName, node: node, ipv4: v4, ipv6: v6, mac: mac))
            }
            workloads[w].pods = first..<pods.count
        }
    }

    private mutating func addServices() {
        for w in workloads.indices where !workloads[w].role.servicePorts.isEmpty {
            let index = services.count
            let name = workloads[w].role == .dns ? "kube-dns" : workloads[w].app
            // kube-dns has the well-known .10; the rest follow from .20 on.
            let host = workloads[w].role == .dns ? 10 : 20 + index
            let v4 = IPAddress(ipv4: 0x0A60_0000 | UInt32(host / 250) << 8 | UInt32(host % 250))
            let v6 = IPAddress(ipv6High: 0xFD00_0010_0096_0000, low: UInt64(host))
            services.append(Service(workload: w, name: name, clusterIPv4: v4, clusterIPv6: v6))
            workloads[w].service = index
        }
    }

    func namespaceName(of workload: Int) -> String { namespaces[workloads[workload].namespace].name }

    /// Workloads of `role` in namespace `ns`, if any.
    func workload(_ role: WorkloadRole, in ns: Int) -> Int? {
        namespaces[ns].workloads.first { workloads[$0].role == role }
    }

    var applicationNamespaces: Range<Int> { 2..<namespaces.count }
}

extension SeededRandom {
    /// The ReplicaSet hash part of a Deployment's pod names (`api-7c9d5f8b6d-…`).
    mutating func podTemplateHash() -> String { nameSuffix(length: 10) }
}
