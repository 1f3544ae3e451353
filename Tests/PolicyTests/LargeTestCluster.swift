import FlowCore

/// A cluster of the size and shape the speed goals are set on (4,096 pods in 128 namespaces,
/// about 1,000 policies), generated from a seed so tests can compare evaluation paths on it:
/// tiers that pass and one that denies, a default deny, staged policies of every kind (Set and
/// Delete), global and namespaced network sets, named ports that differ between pods of one
/// workload, services, service accounts, ICMP, source-port and notNets rules.
enum LargeTestCluster {
    static let namespaces = 128
    static let podsPerNamespace = 32
    static let roles: [(app: String, ports: [(name: String, port: Int, proto: String)])] = [
        ("web", [("http", 8080, "TCP"), ("metrics", 9090, "TCP")]),
        ("api", [("http", 8080, "TCP"), ("grpc", 9000, "TCP"), ("metrics", 9090, "TCP")]),
        ("db", [("postgres", 5432, "TCP")]),
        ("cache", [("redis", 6379, "TCP")]),
        ("worker", [("metrics", 9091, "TCP")]),
        ("dns", [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")]),
    ]
    /// Who calls each role inside its namespace.
    static let callers: [String: [String]] = ["api": ["web"], "db": ["api", "worker"], "cache": ["api", "web"], "dns": ["web", "api", "worker", "db", "cache"]]

    static func podAddress(namespace n: Int, pod p: Int) -> String { "10.\(64 + n / 64).\((n % 64) * 4 + p / 64).\(p % 64 + 2)" }
    static func podAddressV6(namespace n: Int, pod p: Int) -> String { "fd00:10:\(String(n, radix: 16))::\(String(p + 2, radix: 16))" }
    static func serviceAddress(namespace n: Int, role r: Int) -> String { "10.96.\(n).\(r + 10)" }
    static func namespaceSet(_ n: Int) -> String { "192.0.2.\((n % 16) * 16)/28" }

    static func yaml() -> String {
        var docs: [String] = []
        var rng = SplitMix64(seed: 0x1A26E)
        let tiers = [("security", 100, "Pass"), ("platform", 200, "Pass"), ("application", 300, "Pass"), ("teams", 400, "Deny")]
        for (name, order, action) in tiers {
            docs.append("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: \(name)}\nspec: {order: \(order), defaultAction: \(action)}")
        }
        docs.append("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: threats, labels: {threat: 'true'}}\nspec: {nets: [198.51.100.0/24, '2001:db8:bad::/48']}")
        docs.append("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: partners, labels: {partner: 'true'}}\nspec: {nets: [203.0.113.0/25]}")
        docs.append("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: metadata, labels: {sensitive: 'true'}}\nspec: {nets: [169.254.169.254/32]}")
        for n in 0..<namespaces {
            let env = ["prod", "staging", "dev"][n % 3]
            docs.append("apiVersion: v1\nkind: Namespace\nmetadata: {name: ns\(n), labels: {env: \(env), team: t\(n % 16)}}")
            docs.append("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: ns\(n), labels: {privileged: '\(n % 5 == 0)'}}")
            docs.append("apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: {name: partners, namespace: ns\(n), labels: {role: partner, team: t\(n % 16)}}\nspec: {nets: ['\(namespaceSet(n))', '2001:db8:\(String(n, radix: 16))::/64']}")
            for p in 0..<podsPerNamespace {
                let r = p % roles.count
                let role = roles[r]
                // Odd pods of a workload run the next version and declare http on another port.
                let version = p / roles.count % 2
                let ports = role.ports.map { port in
                    "{name: \(port.name), containerPort: \(port.name == "http" && version == 1 ? 8081 : port.port), protocol: \(port.proto)}"
                }
                let account = role.app == "api" ? "api" : "default"
                let v6 = p % 4 == 0 ? ", {ip: '\(podAddressV6(namespace: n, pod: p))'}" : ""
                docs.append("""
                apiVersion: v1
                kind: Pod
                metadata: {name: \(role.app)-\(p), generateName: \(role.app)-, namespace: ns\(n), labels: {app: \(role.app), version: v\(version)\(role.app == "dns" ? ", k8s-app: kube-dns" : "")}}
                spec: {serviceAccountName: \(account), containers: [{name: main, ports: [\(ports.joined(separator: ", "))]}]}
                status: {podIP: \(podAddress(namespace: n, pod: p)), podIPs: [{ip: \(podAddress(namespace: n, pod: p))}\(v6)]}
                """)
            }
            for (r, role) in roles.enumerated() where role.app != "worker" {
                docs.append("apiVersion: v1\nkind: Service\nmetadata: {name: \(role.app), namespace: ns\(n)}\nspec: {selector: {app: \(role.app)}, clusterIP: \(serviceAddress(namespace: n, role: r))}")
            }
            // Platform guard: in-namespace traffic passes on, SSH to partners is denied.
            docs.append("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: guard, namespace: ns\(n)}
            spec:
              tier: platform
              order: 900
              selector: all()
              types: [Ingress, Egress]
              ingress:
              - {action: Deny, source: {selector: quarantine == 'true', namespaceSelector: all()}}
              - {action: Pass, source: {selector: all()}}
              egress:
              - {action: Deny, protocol: TCP, destination: {selector: role == 'partner', ports: [22]}}
              - {action: Log, protocol: UDP, destination: {ports: [123]}}
              - {action: Pass, destination: {selector: all()}}
            """)
            // Application tier: each served role accepts its callers on its named ports, and
            // a neighbouring namespace's api (by namespace label) on http.
            for (app, clients) in callers.sorted(by: { $0.key < $1.key }) where app != "dns" {
                let portNames = roles.first { $0.app == app }!.ports.map(\.name).filter { $0 != "metrics" }
                docs.append("""
                apiVersion: projectcalico.org/v3
                kind: NetworkPolicy
                metadata: {name: allow-\(app), namespace: ns\(n)}
                spec:
                  tier: application
                  order: \(100 + Int(rng.next() % 50))
                  selector: app == '\(app)'
                  types: [Ingress]
                  ingress:
                  - {action: Deny, protocol: TCP, source: {namespaceSelector: env == 'dev', selector: all()}, destination: {ports: [22]}}
                  - {action: Allow, protocol: TCP, source: {selector: "app in {\(clients.map { "'\($0)'" }.joined(separator: ", "))}"}, destination: {ports: [\(portNames.joined(separator: ", "))]}}
                  - {action: Allow, protocol: TCP, source: {namespaceSelector: team == 't\((n + 1) % 16)', selector: app == 'api'}, destination: {ports: [http]}}
                """)
            }
            // Teams tier (default Deny): only namespaces of some teams have policies there.
            if n % 4 == 0 {
                docs.append("""
                apiVersion: projectcalico.org/v3
                kind: NetworkPolicy
                metadata: {name: team-web, namespace: ns\(n)}
                spec:
                  tier: teams
                  selector: app == 'web'
                  types: [Ingress, Egress]
                  ingress:
                  - {action: Allow, protocol: TCP, source: {nets: [0.0.0.0/0]}, destination: {ports: [http, 8443]}}
                  - {action: Allow, protocol: ICMP, icmp: {type: 8}}
                  egress:
                  - {action: Allow, destination: {notNets: [198.51.100.0/24]}}
                """)
            }
            // Kubernetes policies in the default tier.
            docs.append("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: allow-to-db, namespace: ns\(n)}
            spec:
              podSelector: {matchLabels: {app: db}}
              policyTypes: [Ingress]
              ingress:
              - from: [{podSelector: {matchExpressions: [{key: app, operator: In, values: [api, worker]}]}}]
                ports: [{protocol: TCP, port: postgres}]
            """)
            docs.append("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: allow-web-from-anywhere, namespace: ns\(n)}
            spec:
              podSelector: {matchLabels: {app: web}}
              policyTypes: [Ingress]
              ingress:
              - ports: [{protocol: TCP, port: 8080}, {protocol: TCP, port: 8081}]
            """)
            docs.append("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: allow-metrics, namespace: ns\(n)}
            spec:
              podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [dns]}]}
              policyTypes: [Ingress]
              ingress:
              - from: [{namespaceSelector: {matchLabels: {team: t0}}, podSelector: {matchLabels: {app: worker}}}]
                ports: [{protocol: TCP, port: metrics}]
            """)
            if n % 4 == 1 {
                docs.append("apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\nmetadata: {name: default-deny-egress, namespace: ns\(n)}\nspec: {podSelector: {}, policyTypes: [Egress]}")
            }
            if n % 5 == 2 {
                docs.append("apiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\nmetadata: {name: guard, namespace: ns\(n)}\nspec: {stagedAction: Delete, tier: platform, order: 900, selector: all()}")
            }
            if n % 6 == 3 {
                docs.append("""
                apiVersion: projectcalico.org/v3
                kind: StagedNetworkPolicy
                metadata: {name: allow-cache, namespace: ns\(n)}
                spec:
                  tier: application
                  order: 100
                  selector: app == 'cache'
                  types: [Ingress]
                  ingress:
                  - {action: Allow, protocol: TCP, source: {selector: app == 'api'}, destination: {ports: [redis]}}
                  - {action: Deny}
                """)
            }
        }
        docs.append("""
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: deny-threats}
        spec:
          tier: security
          order: 10
          selector: all()
          types: [Ingress, Egress]
          ingress:
          - {action: Deny, source: {selector: threat == 'true'}}
          egress:
          - {action: Deny, destination: {selector: threat == 'true'}}
          - {action: Deny, destination: {selector: sensitive == 'true'}}
        """)
        docs.append("""
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: allow-dns}
        spec:
          tier: security
          order: 20
          selector: all()
          types: [Egress]
          egress:
          - {action: Allow, protocol: UDP, destination: {selector: k8s-app == 'kube-dns', ports: [53]}}
          - {action: Allow, protocol: TCP, destination: {selector: k8s-app == 'kube-dns', ports: [dns-tcp]}}
        """)
        docs.append("""
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: platform-extras}
        spec:
          tier: platform
          order: 50
          selector: has(app)
          types: [Ingress, Egress]
          ingress:
          - {action: Allow, source: {serviceAccounts: {selector: privileged == 'true'}}, destination: {ports: [metrics]}}
          - {action: Allow, protocol: TCP, source: {selector: partner == 'true', ports: ['1000:2000']}}
          - {action: Deny, protocol: ICMP, notICMP: {type: 8}}
          egress:
          - {action: Allow, destination: {services: {name: api, namespace: ns1}}}
          - {action: Pass, destination: {nets: [10.64.0.0/10], notNets: [10.64.0.0/16]}}
        """)
        docs.append("""
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: allow-egress-in-cluster}
        spec:
          tier: application
          order: 500
          selector: all()
          types: [Egress]
          egress:
          - {action: Allow, destination: {nets: [10.64.0.0/10]}}
          - {action: Allow, destination: {nets: ['fd00:10::/32']}}
        """)
        docs.append("""
        apiVersion: projectcalico.org/v3
        kind: StagedGlobalNetworkPolicy
        metadata: {name: deny-internet-egress}
        spec:
          tier: security
          order: 30
          selector: projectcalico.org/namespace != 'ns0'
          types: [Egress]
          egress:
          - {action: Deny, destination: {notNets: [10.0.0.0/8]}}
        """)
        docs.append("""
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: default-deny}
        spec:
          order: 2000
          selector: projectcalico.org/namespace != 'ns0'
          types: [Ingress, Egress]
        """)
        return docs.joined(separator: "\n---\n")
    }

    /// Flows between pods (IPv4 and IPv6), services, network-set members, the threat feed and
    /// unknown hosts, on named, common and random ports over TCP, UDP and ICMP.
    static func randomFlows(count: Int, seed: UInt64) -> [FlowRecord] {
        var rng = SplitMix64(seed: seed)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        func address(v6: Bool) -> IPAddress {
            let n = below(namespaces), p = below(podsPerNamespace)
            switch below(12) {
            case 0: return IPAddress(v6 ? "2001:db8:bad::\(below(9) + 1)" : "198.51.100.\(below(250) + 1)")!
            case 1: return IPAddress(v6 ? "2001:db8:\(String(n, radix: 16))::\(below(9) + 1)" : "192.0.2.\(below(256))")!
            case 2: return IPAddress(v6 ? "2001:db8:77::1" : (below(2) == 0 ? "203.0.113.\(below(256))" : "169.254.169.254"))!
            case 3: return IPAddress(v6 ? "2001:db8:55::\(below(99) + 1)" : serviceAddress(namespace: n, role: below(roles.count)))!
            default:
                if v6 { return IPAddress(podAddressV6(namespace: n, pod: p / 4 * 4))! }
                return IPAddress(podAddress(namespace: n, pod: p))!
            }
        }
        let ports: [UInt16] = [22, 53, 80, 123, 443, 5432, 6379, 8080, 8081, 8443, 9000, 9090, 9091]
        var flows: [FlowRecord] = []
        flows.reserveCapacity(count)
        for _ in 0..<count {
            let v6 = below(8) == 0
            let source = address(v6: v6)
            let destination = address(v6: v6)
            let proto: IPProtocol = [.tcp, .tcp, .tcp, .udp, v6 ? .icmpv6 : .icmp][below(5)]
            let sourcePort = UInt16([1500, 1999, 2500, 40000 + below(20000)][below(4)])
            let port = ports[below(ports.count)]
            flows.append(FlowRecord(
                sourceAddress: source, destinationAddress: destination,
                sourcePort: proto.hasPorts ? sourcePort : 0, destinationPort: proto.hasPorts ? port : 0,
                ipProtocol: proto,
                icmpType: proto.isICMP ? UInt8([0, 3, 8, 128][below(4)]) : 0, icmpCode: proto.isICMP ? UInt8(below(2)) : 0,
                start: .zero, end: .zero))
        }
        return flows
    }
}
