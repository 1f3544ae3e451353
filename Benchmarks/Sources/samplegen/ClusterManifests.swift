import FlowCore

/// Writes DIR/cluster/*.yaml: one file per resource kind, documents separated by `---`.
struct ClusterManifests {
    let cluster: ClusterPlan
    let policy: PolicyCatalog
    /// Creation time of every object: three days before the capture starts.
    let created: String
    private var random: SeededRandom

    init(cluster: ClusterPlan, policy: PolicyCatalog, start: Timestamp, random: SeededRandom) {
        self.cluster = cluster
        self.policy = policy
        let seconds = start.seconds >= 259_200 ? start.seconds - 259_200 : 0
        self.created = String(Timestamp(seconds: seconds, nanoseconds: 0).rfc3339.prefix(19)) + "Z"
        self.random = random
    }

    /// Writes every file; returns how many documents were written.
    mutating func write(to directory: String) throws -> Int {
        let files: [(String, [YAMLNode])] = [
            ("00-namespaces.yaml", cluster.namespaces.map(namespace)),
            ("10-serviceaccounts.yaml", serviceAccounts()),
            ("20-pods.yaml", cluster.pods.indices.map { pod($0) }),
            ("30-services.yaml", cluster.services.map(service)),
            ("40-tiers.yaml", policy.tiers.map(tier)),
            ("50-networksets.yaml", policy.networkSets),
            ("60-globalnetworkpolicies.yaml", policy.globalPolicies),
            ("70-networkpolicies.yaml", policy.networkPolicies),
            ("75-stagednetworkpolicies.yaml", policy.stagedPolicies),
            ("80-kubernetes-networkpolicies.yaml", policy.kubernetesPolicies),
        ]
        var documents = 0
        for (name, nodes) in files where !nodes.isEmpty {
            let file = try BufferedFile(path: directory + "/" + name)
            for (i, node) in nodes.enumerated() {
                if i > 0 { try file.append(text: "---\n") }
                try file.append(text: node.rendered())
            }
            try file.close()
            documents += nodes.count
        }
        return documents
    }

    private mutating func uid() -> String {
        let a = random.next(), b = random.next()
        func hex(_ v: UInt64, _ digits: Int) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: max(0, digits - s.count)) + s.suffix(digits)
        }
        return "\(hex(a >> 32, 8))-\(hex((a >> 16) & 0xFFFF, 4))-\(hex(0x4000 | (a & 0x0FFF), 4))-\(hex(0x8000 | (b >> 48) & 0x3FFF, 4))-\(hex(b & 0xFFFF_FFFF_FFFF, 12))"
    }

    private func namespace(_ ns: ClusterPlan.Namespace) -> YAMLNode {
        .map([
            ("apiVersion", .string("v1")),
            ("kind", .string("Namespace")),
            ("metadata", Manifests.metadata(name: ns.name, labels: ns.labels, extra: [("creationTimestamp", .string(created))])),
            ("spec", .map([("finalizers", .strings(["kubernetes"]))])),
            ("status", .map([("phase", .string("Active"))])),
        ])
    }

    private func serviceAccounts() -> [YAMLNode] {
        var nodes: [YAMLNode] = []
        for ns in cluster.namespaces {
            let names = ["default"] + ns.workloads.map { cluster.workloads[$0].app }
            for name in names {
                nodes.append(.map([
                    ("apiVersion", .string("v1")),
                    ("kind", .string("ServiceAccount")),
                    ("metadata", Manifests.metadata(name: name, namespace: ns.name, extra: [("creationTimestamp", .string(created))])),
                ]))
            }
        }
        return nodes
    }

    private func podLabels(_ workload: ClusterPlan.Workload) -> [(String, String)] {
        let ns = cluster.namespaces[workload.namespace].name
        switch workload.role {
        case .dns:
            return [("k8s-app", "kube-dns"), ("pod-template-hash", workload.templateHash)]
        case .prometheus:
            return [("app", "prometheus"), ("app.kubernetes.io/name", "prometheus")]
        default:
            var labels: [(String, String)] = [
                ("app", workload.app), ("app.kubernetes.io/name", workload.app), ("app.kubernetes.io/part-of", ns),
            ]
            if !workload.role.isStateful { labels.append(("pod-template-hash", workload.templateHash)) }
            labels.append(("tier", workload.role.tierLabel))
            return labels
        }
    }

    private mutating func pod(_ index: Int) -> YAMLNode {
        let pod = cluster.pods[index]
        let workload = cluster.workloads[pod.workload]
        let ns = cluster.namespaces[workload.namespace].name
        let owner: (kind: String, name: String) = workload.role.isStateful
            ? ("StatefulSet", workload.app) : ("ReplicaSet", "\(workload.app)-\(workload.templateHash)")
        var extra: [(String, YAMLNode)] = [("creationTimestamp", .string(created))]
        if let generateName = pod.generateName { extra.append(("generateName", .string(generateName))) }
        extra.append(("ownerReferences", .list([.map([
            ("apiVersion", .string("apps/v1")), ("blockOwnerDeletion", .bool(true)), ("controller", .bool(true)),
            ("kind", .string(owner.kind)), ("name", .string(owner.name)), ("uid", .string(uid())),
        ])])))
        extra.append(("uid", .string(uid())))
        let ports = workload.role.containerPorts.map { port -> YAMLNode in
            .map([("containerPort", .int(Int(port.number))), ("name", .string(port.name)),
                  ("protocol", .string(port.transport == .udp ? "UDP" : "TCP"))])
        }
        let serviceAccount = workload.role == .dns ? "coredns" : workload.app
        return .map([
            ("apiVersion", .string("v1")),
            ("kind", .string("Pod")),
            ("metadata", Manifests.metadata(name: pod.name, namespace: ns, labels: podLabels(workload), extra: extra)),
            ("spec", .map([
                ("containers", .list([.map([
                    ("image", .string(workload.role.image)),
                    ("name", .string(workload.app)),
                    ("ports", .list(ports)),
                ])])),
                ("nodeName", .string("worker-\(pod.node + 1)")),
                ("serviceAccountName", .string(serviceAccount)),
            ])),
            ("status", .map([
                ("hostIP", .string("10.0.0.\(10 + pod.node % 240)")),
                ("phase", .string("Running")),
                ("podIP", .string(pod.ipv4.description)),
                ("podIPs", .list([.map([("ip", .string(pod.ipv4.description))]), .map([("ip", .string(pod.ipv6.description))])])),
                ("startTime", .string(created)),
            ])),
        ])
    }

    private func service(_ service: ClusterPlan.Service) -> YAMLNode {
        let workload = cluster.workloads[service.workload]
        let ns = cluster.namespaces[workload.namespace].name
        let ports = workload.role.servicePorts.map { port -> YAMLNode in
            let exposed = port.name == "http" && port.number == 8080 ? 80 : port.name == "https" ? 443 : Int(port.number)
            return .map([("name", .string(port.name)), ("port", .int(exposed)),
                         ("protocol", .string(port.transport == .udp ? "UDP" : "TCP")), ("targetPort", .string(port.name))])
        }
        let selector: [(String, String)] = workload.role == .dns ? [("k8s-app", "kube-dns")] : [("app", workload.app)]
        var spec: [(String, YAMLNode)] = [
            ("clusterIP", .string(service.clusterIPv4.description)),
            ("clusterIPs", .strings([service.clusterIPv4.description, service.clusterIPv6.description])),
        ]
        if workload.role == .frontend { spec.append(("externalTrafficPolicy", .string("Local"))) }
        spec += [
            ("ipFamilies", .strings(["IPv4", "IPv6"])),
            ("ipFamilyPolicy", .string("PreferDualStack")),
            ("ports", .list(ports)),
            ("selector", .labels(selector)),
            ("type", .string(workload.role == .frontend ? "LoadBalancer" : "ClusterIP")),
        ]
        return .map([
            ("apiVersion", .string("v1")),
            ("kind", .string("Service")),
            ("metadata", Manifests.metadata(name: service.name, namespace: ns, labels: selector,
                                            extra: [("creationTimestamp", .string(created))])),
            ("spec", .map(spec)),
        ])
    }

    private func tier(_ tier: PolicyCatalog.Tier) -> YAMLNode {
        Manifests.calico("Tier", name: tier.name, spec: [
            ("defaultAction", .string(tier.defaultAction)),
            ("order", .number(tier.order)),
        ])
    }
}
