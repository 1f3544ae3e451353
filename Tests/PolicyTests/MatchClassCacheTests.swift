import FlowCore
import Testing
@testable import Policy

/// The class cache reuses a walk for every flow whose ends rules cannot tell apart; these tests
/// check that it never changes an annotation, against engines that decide every flow afresh.
@Suite struct MatchClassCacheTests {

    private static let namespaces = ["a", "b", "c"]

    /// Three namespaces × three workloads × five pods. Pods of one workload share labels but not
    /// always service accounts or named ports (in `a` the first two and the fifth run as `api`; odd
    /// pods declare `http` on another number; only the fourth declares `dns`), so a class must not
    /// lump them together; the first and fifth pods are indistinguishable.
    private static func clusterText() -> String {
        var docs: [String] = [
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {env: prod}}",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: b, labels: {env: dev}}",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: c, labels: {env: prod, team: x}}",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: a, labels: {role: api}}",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: db, namespace: b, labels: {role: db}}",
            "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: a}\nspec: {selector: {app: w0}, clusterIP: 10.96.0.10}",
            "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: platform}\nspec: {order: 10, defaultAction: Pass}",
            "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\nspec: {order: 100}",
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: partners, labels: {kind: partner}}\nspec: {nets: [198.51.100.0/24]}",
            "apiVersion: projectcalico.org/v3\nkind: NetworkSet\nmetadata: {name: vips, namespace: a, labels: {kind: vip}}\nspec: {nets: [198.51.100.0/28]}",
            "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: bad, labels: {kind: bad}}\nspec: {nets: [203.0.113.0/24]}",
            """
            apiVersion: projectcalico.org/v3
            kind: HostEndpoint
            metadata: {name: node1-eth0, labels: {role: node}}
            spec: {node: node1, interfaceName: eth0, expectedIPs: [192.168.0.11], ports: [{name: http, port: 8080, protocol: TCP}]}
            """,
        ]
        for (n, namespace) in namespaces.enumerated() {
            for w in 0..<3 {
                for p in 0..<5 {
                    let account = n == 0 && p % 4 < 2 ? "api" : (n == 1 ? "db" : "default")
                    var ports = ["{name: http, containerPort: \(p % 2 == 0 ? 8080 : 9090), protocol: TCP}"]
                    if p == 3 { ports.append("{name: dns, containerPort: 53, protocol: UDP}") }
                    docs.append("""
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: w\(w)-\(p), generateName: w\(w)-, namespace: \(namespace), labels: {app: w\(w)}}
                    spec: {serviceAccountName: \(account), containers: [{name: main, ports: [\(ports.joined(separator: ", "))]}]}
                    status: {podIP: 10.\(n).\(w).\(p + 1)}
                    """)
                }
            }
        }
        docs.append(contentsOf: [
            """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: platform-guard}
            spec:
              tier: platform
              selector: all()
              types: [Ingress, Egress]
              ingress:
              - {action: Deny, protocol: UDP, destination: {ports: [53]}, source: {nets: [203.0.113.0/25]}}
              - {action: Log}
              egress:
              - {action: Pass, destination: {notNets: [10.0.0.0/8]}}
            """,
            """
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: w0-web, namespace: a}
            spec:
              tier: security
              order: 10
              selector: app == 'w0'
              ingress:
              - {action: Deny, source: {selector: kind == 'bad'}}
              - {action: Allow, protocol: TCP, source: {namespaceSelector: env == 'prod'}, destination: {ports: [http]}}
            """,
            """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: apps}
            spec:
              tier: security
              order: 20
              selector: has(app)
              types: [Ingress, Egress]
              ingress:
              - {action: Allow, source: {serviceAccounts: {names: [api]}}}
              - {action: Allow, protocol: ICMP, icmp: {type: 8}}
              - {action: Pass, protocol: UDP, source: {selector: role == 'node'}}
              egress:
              - {action: Allow, destination: {nets: [198.51.100.0/24], notNets: [198.51.100.8/29]}}
              - {action: Allow, destination: {services: {name: web, namespace: a}}}
              - {action: Pass, protocol: UDP, destination: {ports: [dns]}}
              - {action: Deny, protocol: ICMP, notICMP: {type: 0}}
            """,
            """
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: w1-batch, namespace: b}
            spec:
              selector: app == 'w1'
              types: [Ingress, Egress]
              ingress:
              - {action: Allow, protocol: TCP, source: {ports: ['1000:2000']}}
              egress:
              - {action: Allow, protocol: UDP, destination: {ports: [dns], selector: app == 'w2'}}
            """,
            """
            apiVersion: projectcalico.org/v3
            kind: StagedGlobalNetworkPolicy
            metadata: {name: lockdown}
            spec:
              tier: security
              order: 5
              selector: app == 'w2'
              types: [Ingress]
              ingress:
              - {action: Deny, source: {nets: [10.1.0.0/16]}}
              - {action: Allow, protocol: TCP, destination: {ports: [http]}}
            """,
            """
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: partners-only, namespace: c}
            spec:
              selector: all()
              types: [Egress]
              egress:
              - {action: Allow, destination: {selector: kind == 'partner'}}
              - {action: Allow, destination: {selector: app == 'w0', namespaceSelector: team == 'x'}}
            """,
        ])
        return docs.joined(separator: "\n---\n")
    }

    /// Pod addresses, the host endpoint, the cluster IP, addresses inside and around the network
    /// sets and rule CIDRs, and addresses nothing knows.
    private static let addresses: [String] = {
        var all: [String] = []
        for n in 0..<3 { for w in 0..<3 { for p in 1...5 { all.append("10.\(n).\(w).\(p)") } } }
        all += ["192.168.0.11", "10.96.0.10", "10.0.9.9", "10.1.9.9",
                "198.51.100.1", "198.51.100.9", "198.51.100.20", "198.51.100.200",
                "203.0.113.5", "203.0.113.130", "8.8.8.8", "1.1.1.1", "172.16.0.1"]
        return all
    }()

    private static func randomFlows(_ cluster: Cluster, count: Int, seed: UInt64) throws -> [FlowRecord] {
        var random = SplitMix64(seed: seed)  // deterministic, so a failure can be replayed
        var flows: [FlowRecord] = []
        // Every ordered pair once on TCP and UDP, so each pair of classes meets on equal packet
        // fields; then random fields.
        for source in addresses {
            for destination in addresses where destination != source {
                for (proto, port) in [("tcp", UInt16(8080)), ("udp", UInt16(53))] {
                    let request = ExplainRequest(source: source, destination: destination, ipProtocol: proto,
                                                 sourcePort: 40000, destinationPort: port)
                    flows.append(try request.flow(in: cluster))
                }
            }
        }
        for _ in 0..<count {
            let source = random.pick(addresses)
            var destination = random.pick(addresses)
            while destination == source { destination = random.pick(addresses) }
            let proto = random.pick(["tcp", "tcp", "udp", "icmp"])
            let request = ExplainRequest(
                source: source, destination: destination, ipProtocol: proto,
                sourcePort: UInt16(random.pick([1500, 1999, 2500, 40000])),
                destinationPort: UInt16(random.pick([53, 80, 8080, 9090])),
                icmpType: UInt8(random.pick([0, 3, 8])), icmpCode: UInt8(random.pick([0, 1])))
            flows.append(try request.flow(in: cluster))
        }
        return flows
    }

    @Test func classCacheNeverChangesAnAnnotation() throws {
        let cluster = try ClusterLoader.load(text: Self.clusterText(), name: "generated.yaml")
        let flows = try Self.randomFlows(cluster, count: 3_000, seed: 0x5EED)
        let cold = PolicyEngine(cluster: cluster, options: PolicyOptions(cachesDecisions: false))
        let cached = PolicyEngine(cluster: cluster)
        let tiny = PolicyEngine(cluster: cluster, options: PolicyOptions(cacheCapacity: 3))
        let expected = flows.map { cold.annotate($0) }
        // Twice: the first pass fills the caches, the second answers from them.
        for _ in 0..<2 {
            for (flow, want) in zip(flows, expected) {
                #expect(cached.annotate(flow) == want, "\(flow.sourceAddress) → \(flow.destinationAddress) \(flow.ipProtocol)")
                #expect(tiny.annotate(flow) == want)
            }
        }
        // explain stays exact and agrees too.
        for (flow, want) in zip(flows.prefix(200), expected) { #expect(cached.explain(flow).annotation == want) }
        // The flows exercise every outcome, and classes really were shared.
        #expect(Set(expected.map(\.verdict)) == [.allow, .deny, .unknown])
        #expect(expected.contains { $0.pendingIngress != nil && $0.pendingIngress != $0.ingress })
        #expect(cached.classDecisionCount < cached.cachedDecisions)
    }

    @Test func podsOfOneWorkloadShareAClassOnlyWhenRulesCannotTellThemApart() throws {
        let cluster = try ClusterLoader.load(text: Self.clusterText(), name: "generated.yaml")
        let engine = PolicyEngine(cluster: cluster)
        func flow(_ s: String, _ d: String) throws -> FlowRecord {
            try ExplainRequest(source: s, destination: d, ipProtocol: "tcp", sourcePort: 40000, destinationPort: 8080).flow(in: cluster)
        }
        // a/w0-0 and a/w0-4: same labels, service account and named ports → one walk for both.
        _ = engine.annotate(try flow("10.2.1.1", "10.0.0.1"))
        _ = engine.annotate(try flow("10.2.1.1", "10.0.0.5"))
        #expect(engine.classDecisionCount == 1)
        #expect(engine.cachedDecisions == 2)
        // a/w0-1 declares http on 9090: its own class, and port 8080 is not its http, so the
        // answer differs.
        let other = engine.annotate(try flow("10.2.1.1", "10.0.0.2"))
        #expect(engine.classDecisionCount == 2)
        #expect(other.ingress != engine.annotate(try flow("10.2.1.1", "10.0.0.1")).ingress)
        // The identities stay per pod even when the walk is shared.
        #expect(engine.annotate(try flow("10.2.1.1", "10.0.0.5")).destination.name == "w0-4")
    }
}
