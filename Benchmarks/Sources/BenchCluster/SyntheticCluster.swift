import FlowCore

/// A deterministic cluster for the benchmark: `namespaces × podsPerNamespace` pods, a handful of
/// network sets, and `policyCount` policies spread over four user tiers plus `default`.
public struct SyntheticCluster: Sendable {
    public let namespaces: Int
    public let podsPerNamespace: Int
    public let policyCount: Int
    public private(set) var yaml = ""
    public private(set) var podAddresses: [IPAddress] = []

    public static let apps = 40
    public static let ports: [UInt16] = [80, 443, 8080, 5432, 6379, 53, 9090, 22]

    public init(namespaces: Int = 20, podsPerNamespace: Int = 500, policyCount: Int = 1000) {
        self.namespaces = namespaces
        self.podsPerNamespace = podsPerNamespace
        self.policyCount = policyCount
        var rng = SplitMix64(seed: 42)
        var out: [String] = []
        out.reserveCapacity(namespaces * podsPerNamespace + policyCount + 64)
        for n in 0..<namespaces {
            out.append("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: ns\(n), labels: {env: \(n % 3 == 0 ? "prod" : "dev"), team: team\(n % 5)}}
            """)
        }
        for n in 0..<namespaces {
            for p in 0..<podsPerNamespace {
                let app = Int(rng.next() % UInt64(Self.apps))
                let ip = IPAddress(ipv4: 0x0A00_0000 | UInt32(n) << 16 | UInt32(p + 2))
                podAddresses.append(ip)
                out.append("""
                apiVersion: v1
                kind: Pod
                metadata: {name: app\(app)-\(p), generateName: app\(app)-, namespace: ns\(n), labels: {app: app\(app), role: r\(p % 7)}}
                spec: {serviceAccountName: sa\(app % 4), containers: [{name: main, ports: [{name: http, containerPort: 8080}]}]}
                status: {podIP: \(ip)}
                """)
            }
        }
        for s in 0..<8 {
            out.append("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkSet
            metadata: {name: partners\(s), labels: {partner: p\(s)}}
            spec: {nets: [\(198 + s % 2).\(51 + s).100.0/24]}
            """)
        }
        let tiers = [("platform", 100, "Pass"), ("security", 200, "Deny"), ("compliance", 300, "Pass"), ("apps", 400, "Pass")]
        for (name, order, action) in tiers {
            out.append("""
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: {name: \(name)}
            spec: {order: \(order), defaultAction: \(action)}
            """)
        }
        let tierNames = tiers.map(\.0) + ["default"]
        for i in 0..<policyCount {
            let tier = tierNames[i % tierNames.count]
            let app = Int(rng.next() % UInt64(Self.apps))
            let peer = Int(rng.next() % UInt64(Self.apps))
            let port = Self.ports[Int(rng.next() % UInt64(Self.ports.count))]
            let action = i % 11 == 0 ? "Deny" : (i % 13 == 0 ? "Pass" : "Allow")
            if i % 4 == 0 {
                out.append("""
                apiVersion: projectcalico.org/v3
                kind: GlobalNetworkPolicy
                metadata: {name: gnp\(i)}
                spec:
                  tier: \(tier)
                  order: \(i % 50)
                  selector: app == 'app\(app)' && role != 'r\(i % 7)'
                  types: [Ingress, Egress]
                  ingress:
                  - {action: \(action), protocol: TCP, source: {selector: "app in {'app\(peer)', 'app\((peer + 1) % Self.apps)'}"}, destination: {ports: [\(port), http]}}
                  - {action: Log, protocol: UDP}
                  egress:
                  - {action: Allow, protocol: UDP, destination: {selector: "has(partner)", ports: [53]}}
                  - {action: \(action), destination: {nets: [\(198 + i % 2).\(51 + i % 8).100.0/24]}}
                """)
            } else {
                let ns = Int(rng.next() % UInt64(namespaces))
                out.append("""
                apiVersion: projectcalico.org/v3
                kind: NetworkPolicy
                metadata: {name: np\(i), namespace: ns\(ns)}
                spec:
                  tier: \(tier)
                  order: \(i % 40)
                  selector: app == 'app\(app)'
                  types: [Ingress]
                  ingress:
                  - {action: \(action), protocol: TCP, source: {namespaceSelector: "team == 'team\(i % 5)'", selector: "app == 'app\(peer)'"}, destination: {ports: ['\(port):\(port + 10)']}}
                  - {action: Allow, protocol: TCP, source: {notSelector: "role == 'r\(i % 7)'"}, destination: {ports: [\(port)]}}
                """)
            }
        }
        yaml = out.joined(separator: "\n---\n")
    }
}
