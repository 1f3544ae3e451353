import FlowCore

/// A deterministic cluster-like set of annotated flows for the query tests: a few namespaces
/// and apps, allowed and denied traffic with policy traces, some flows with no annotation,
/// VLAN tags, TCP/UDP/ICMP, times one second apart (clustered by namespace when asked, so
/// block pruning has something to find).
enum SampleFlows {
    static let base = Timestamp(seconds: 1_790_000_000, nanoseconds: 0)

    static let namespaces = ["shop", "db", "kube-system", "monitoring", "payments"]
    static let apps = ["web", "api", "cache", "worker"]
    static let tiers = ["security", "platform", "default"]

    static func endpoint(_ g: inout SplitMix64, namespace: String) -> (EndpointIdentity, IPAddress) {
        let app = g.pick(apps)
        let n = g.next() % 4
        let kind = g.next() % 10 == 0 ? EndpointKind.host : .workload
        let labels = ["app": app, "tier": g.pick(["frontend", "backend"]), "team": "t\(n)"]
        let identity = EndpointIdentity(kind: kind, namespace: namespace, name: "\(app)-\(n)x\(n)",
                                        aggregatedName: "\(app)-*", labels: labels)
        let address = IPAddress(ipv4: 0x0A00_0000 | UInt32(namespaces.firstIndex(of: namespace)! << 16) | UInt32(g.next() % 4096))
        return (identity, address)
    }

    static func trace(_ g: inout SplitMix64, reporter: Reporter, namespace: String, action: PolicyAction) -> PolicyTrace {
        let tier = g.pick(tiers)
        var hits: [PolicyHit] = []
        if g.next() % 3 == 0 {
            hits.append(PolicyHit(index: 0, tier: "security", kind: .globalNetworkPolicy, name: "baseline",
                                  action: .pass, ruleIndex: 0))
        }
        let kind: PolicyKind = tier == "default" ? .kubernetesNetworkPolicy : .networkPolicy
        hits.append(PolicyHit(index: hits.count, tier: tier, kind: kind, namespace: namespace,
                              name: "\(action)-\(g.pick(apps))", action: action, ruleIndex: Int(g.next() % 3) - 1))
        return PolicyTrace(reporter: reporter, action: action == .deny ? .deny : .allow, hits: hits)
    }

    /// `count` flows; with `clustered`, runs of 64 flows share a source namespace.
    static func make(count: Int, seed: UInt64 = 1, clustered: Bool = false, spacingSeconds: UInt64 = 1) -> [AnnotatedFlow] {
        var g = SplitMix64(seed: seed)
        var flows: [AnnotatedFlow] = []
        flows.reserveCapacity(count)
        for i in 0..<count {
            let srcNamespace = clustered ? namespaces[(i / 64) % namespaces.count] : g.pick(namespaces)
            let (src, srcIP) = endpoint(&g, namespace: srcNamespace)
            let (dst, dstIP) = endpoint(&g, namespace: g.pick(namespaces))
            let proto: IPProtocol = g.next() % 8 == 0 ? .udp : (g.next() % 20 == 0 ? .icmp : .tcp)
            let start = Timestamp(nanoseconds: base.nanoseconds + UInt64(i) * spacingSeconds * 1_000_000_000 + g.next() % 1000)
            let flow = FlowRecord(
                sourceAddress: srcIP, destinationAddress: dstIP,
                sourcePort: proto == .icmp ? 0 : UInt16(32768 + g.next() % 20000),
                destinationPort: proto == .icmp ? 0 : g.pick([80, 443, 5432, 6379, 53, 8080]),
                ipProtocol: proto, vlan: g.next() % 5 == 0 ? UInt16(g.next() % 20) : FlowRecord.noVLAN,
                start: start, end: Timestamp(nanoseconds: start.nanoseconds + g.next() % 5_000_000_000),
                packetsOut: 1 + g.next() % 100, bytesOut: 60 + g.next() % 100_000,
                packetsIn: g.next() % 100, bytesIn: g.next() % 200_000,
                tcpFlagsOut: proto == .tcp ? [.syn, .ack] : [], tcpFlagsIn: proto == .tcp ? [.ack] : [])
            let node = "node-\(g.next() % 3)"
            if g.next() % 12 == 0 {
                flows.append(AnnotatedFlow(flow: flow, annotation: nil, node: node))
                continue
            }
            let denied = g.next() % 4 == 0
            // A denial happens at egress (no ingress walk follows) or at ingress.
            let deniedAtEgress = denied && g.next() % 2 == 0
            let egress = trace(&g, reporter: .source, namespace: src.namespace, action: deniedAtEgress ? .deny : .allow)
            let ingress = deniedAtEgress
                ? nil
                : trace(&g, reporter: .destination, namespace: dst.namespace, action: denied ? .deny : .allow)
            let pending = g.next() % 6 == 0
                ? PolicyTrace(reporter: .destination, action: .deny,
                              hits: [PolicyHit(index: 0, tier: "staging", kind: .stagedNetworkPolicy,
                                               namespace: dst.namespace, name: "lockdown", action: .deny, ruleIndex: -1)])
                : nil
            let annotation = FlowAnnotation(
                source: src, destination: dst,
                destinationService: g.next() % 3 == 0 ? "\(dst.namespace)/\(dst.labels["app"]!)" : "",
                verdict: denied ? .deny : .allow, egress: egress, ingress: ingress, pendingIngress: pending)
            flows.append(AnnotatedFlow(flow: flow, annotation: annotation, node: node))
        }
        return flows
    }

    /// A port as query output prints it: `-` for protocols without ports.
    static func portText(_ port: UInt16, _ flow: FlowRecord) -> String {
        flow.ipProtocol.hasPorts ? String(port) : "-"
    }
}
