import FlowCore

/// Realistic, deterministic Kubernetes traffic for tests and benchmarks: the same seed gives
/// the same flows on every machine.
///
/// A cluster of `pods` pods (Deployments with generateName-style names, labels, service
/// accounts) in `namespaces` namespaces on eight nodes; most namespaces isolated by policy, a
/// few with staged policies. Flows arrive in the order a flow cache would emit them, at
/// `flowsPerSecond` on average, with microsecond timestamps (as from pcap):
/// about 35 % DNS to kube-dns, 45 % service calls along app dependencies (3 % of calls go to a
/// random app, denied where the destination namespace is isolated), 10 % egress to public
/// servers on 443, 5 % public clients to the ingress controller, 3 % kubelet probes from the
/// nodes, 2 % unannotated IPv6 traffic.
public struct SyntheticFlowGenerator {
    private var cluster: SyntheticCluster
    private var rng: SplitMix64
    private var clock: UInt64
    private let meanGapMicros: UInt64

    public init(seed: UInt64 = 1, pods: Int = 300, namespaces: Int = 30,
                start: Timestamp = Timestamp(seconds: 1_795_392_000, nanoseconds: 0), flowsPerSecond: Double = 2000) {
        cluster = SyntheticCluster(seed: seed, namespaceCount: max(4, namespaces), podCount: max(10, pods))
        rng = SplitMix64(seed: seed ^ 0x5EED_F10F)
        clock = start.nanoseconds / 1000
        meanGapMicros = UInt64(max(1, 1_000_000 / max(flowsPerSecond, 0.001)))
    }

    public mutating func generate(_ count: Int) -> [AnnotatedFlow] {
        var flows: [AnnotatedFlow] = []
        flows.reserveCapacity(count)
        for _ in 0..<count { flows.append(next()) }
        return flows
    }

    public mutating func next() -> AnnotatedFlow {
        clock += rng.below(2 * meanGapMicros + 1)
        let roll = rng.below(100)
        switch roll {
        case 0..<35: return dns()
        case 35..<80: return serviceCall()
        case 80..<90: return egressToInternet()
        case 90..<95: return ingressFromInternet()
        case 95..<98: return kubeletProbe()
        default: return unannotatedIPv6()
        }
    }

    // MARK: - Kinds of flow

    private mutating func randomPod() -> Int {
        // Skip the infrastructure pods as clients.
        let first = cluster.apps[cluster.ingressApp].pods.last! + 1
        return first + Int(rng.below(UInt64(cluster.pods.count - first)))
    }

    private mutating func replica(of app: Int) -> Int {
        let pods = cluster.apps[app].pods
        return pods[Int(rng.below(UInt64(pods.count)))]
    }

    private mutating func dns() -> AnnotatedFlow {
        let client = randomPod()
        let server = replica(of: cluster.dnsApp)
        let egress = PolicyTrace(reporter: .source, action: .allow, hits: [
            PolicyHit(index: 0, tier: "platform", kind: .globalNetworkPolicy, name: "allow-cluster-dns", action: .allow, ruleIndex: 0),
        ])
        let ingress = cluster.ingressTrace(to: cluster.dnsApp, allowed: true)
        let duration = 200 + rng.below(3000)
        let flow = record(cluster.pods[client].address, cluster.pods[server].address, .udp, 53, duration: duration,
                          packets: (1, 1), bytes: (60 + rng.below(40), 90 + rng.below(200)), flags: (0, 0),
                          status: [.startObserved, .expiredIdle])
        return annotated(flow, client, server, service: cluster.apps[cluster.dnsApp].service, verdict: .allow,
                         egress: egress, ingress: ingress, pending: nil)
    }

    private mutating func serviceCall() -> AnnotatedFlow {
        let client = randomPod()
        let clientApp = cluster.pods[client].app
        var target = cluster.apps[clientApp].dependencies.isEmpty ? cluster.ingressApp
            : cluster.apps[clientApp].dependencies[Int(rng.below(UInt64(cluster.apps[clientApp].dependencies.count)))]
        var allowed = true
        if rng.below(100) < 3 {
            target = Int(rng.below(UInt64(cluster.apps.count)))
            allowed = !cluster.isolated.contains(cluster.apps[target].namespace)
        }
        let server = replica(of: target)
        let egress = cluster.egressTrace(from: clientApp, allowed: true)
        let ingress = cluster.ingressTrace(to: target, allowed: allowed)
        let pending = cluster.pendingIngressTrace(to: target, allowed: allowed && rng.below(10) != 0)
        let flow: FlowRecord
        if allowed {
            let requests = 1 + rng.below(rng.below(4) == 0 ? 40 : 4)
            let packetsOut = 3 + requests * 2 + rng.below(3), packetsIn = 2 + requests * 2 + rng.below(4)
            flow = record(cluster.pods[client].address, cluster.pods[server].address, .tcp, cluster.apps[target].port,
                          duration: 1000 + requests * rng.below(200_000),
                          packets: (packetsOut, packetsIn),
                          bytes: (packetsOut * 52 + requests * (120 + rng.below(900)), packetsIn * 52 + requests * (200 + rng.below(rng.below(8) == 0 ? 60_000 : 3000))),
                          flags: (0x1B, 0x1B), status: [.startObserved, .endObserved, .expiredTeardown])
        } else {
            flow = record(cluster.pods[client].address, cluster.pods[server].address, .tcp, cluster.apps[target].port,
                          duration: 1_000_000 + rng.below(2_000_000), packets: (1 + rng.below(3), 0), bytes: (60, 0),
                          flags: (0x02, 0), status: [.startObserved, .expiredIdle])
        }
        return annotated(flow, client, server, service: cluster.apps[target].service, verdict: allowed ? .allow : .deny,
                         egress: egress, ingress: ingress, pending: pending)
    }

    private mutating func egressToInternet() -> AnnotatedFlow {
        let client = randomPod()
        let server = cluster.externalServers[Int(rng.below(UInt64(cluster.externalServers.count)))]
        let egress = cluster.egressTrace(from: cluster.pods[client].app, allowed: true)
        let packets = (8 + rng.below(30), 6 + rng.below(60))
        let flow = record(cluster.pods[client].address, server, .tcp, 443, duration: 50_000 + rng.below(5_000_000),
                          packets: packets, bytes: (packets.0 * 80 + rng.below(2000), packets.1 * 900 + rng.below(20_000)),
                          flags: (0x1B, 0x1B), status: [.startObserved, .endObserved, .expiredTeardown])
        let annotation = FlowAnnotation(source: cluster.pods[client].identity, destination: .network(server), verdict: .allow,
                                        egress: egress)
        return AnnotatedFlow(flow: flow, annotation: annotation, node: cluster.pods[client].node)
    }

    private mutating func ingressFromInternet() -> AnnotatedFlow {
        let client = cluster.externalClients[Int(rng.below(UInt64(cluster.externalClients.count)))]
        let server = replica(of: cluster.ingressApp)
        let ingress = cluster.ingressTrace(to: cluster.ingressApp, allowed: true)
        let packets = (6 + rng.below(20), 5 + rng.below(40))
        let flow = record(client, cluster.pods[server].address, .tcp, 443, duration: 20_000 + rng.below(3_000_000),
                          packets: packets, bytes: (packets.0 * 70 + rng.below(1500), packets.1 * 800 + rng.below(40_000)),
                          flags: (0x1B, 0x1B), status: [.startObserved, .endObserved, .expiredTeardown])
        let annotation = FlowAnnotation(source: .network(client), destination: cluster.pods[server].identity,
                                        destinationService: cluster.apps[cluster.ingressApp].service, verdict: .allow,
                                        ingress: ingress)
        return AnnotatedFlow(flow: flow, annotation: annotation, node: cluster.pods[server].node)
    }

    private mutating func kubeletProbe() -> AnnotatedFlow {
        let server = randomPod()
        let node = cluster.nodes.first { $0.name == cluster.pods[server].node }!
        let hostIdentity = EndpointIdentity(kind: .host, name: node.name, aggregatedName: node.name,
                                            labels: ["kubernetes.io/hostname": node.name, "node-role.kubernetes.io/worker": ""])
        let app = cluster.pods[server].app
        let ingress = cluster.ingressTrace(to: app, allowed: true)
        let flow = record(node.address, cluster.pods[server].address, .tcp, cluster.apps[app].port, duration: 500 + rng.below(5000),
                          packets: (5, 4), bytes: (400 + rng.below(50), 350 + rng.below(100)), flags: (0x1B, 0x1B),
                          status: [.startObserved, .endObserved, .expiredTeardown])
        let annotation = FlowAnnotation(source: hostIdentity, destination: cluster.pods[server].identity, verdict: .allow,
                                        ingress: ingress)
        return AnnotatedFlow(flow: flow, annotation: annotation, node: node.name)
    }

    private mutating func unannotatedIPv6() -> AnnotatedFlow {
        let source = IPAddress(ipv6High: 0xFD00_0000_0000_0001, low: 0x10 + rng.below(64))
        let destination = IPAddress(ipv6High: 0x2001_0DB8_0000_0000, low: 1 + rng.below(16))
        let echo = rng.below(3) == 0
        var flow = record(source, destination, echo ? .icmpv6 : .udp, echo ? 0 : 123, duration: 1000 + rng.below(9000),
                          packets: (1, 1), bytes: (90, 90), flags: (0, 0), status: [.startObserved, .expiredIdle])
        if echo {
            flow.icmpType = 128
            flow.sourcePort = UInt16(truncatingIfNeeded: rng.below(65536))
            flow.destinationPort = flow.sourcePort
        }
        if rng.below(2) == 0 { flow.vlan = 100 }
        return AnnotatedFlow(flow: flow, annotation: nil, node: "")
    }

    // MARK: - Building records

    private mutating func record(_ source: IPAddress, _ destination: IPAddress, _ proto: IPProtocol, _ port: UInt16,
                                 duration: UInt64, packets: (UInt64, UInt64), bytes: (UInt64, UInt64),
                                 flags: (UInt8, UInt8), status: FlowStatus) -> FlowRecord {
        // The flow ends "now" (when the cache emits it) and started `duration` µs earlier.
        let end = clock * 1000
        let start = end - min(duration, clock) * 1000
        return FlowRecord(sourceAddress: source, destinationAddress: destination,
                          sourcePort: UInt16(32768 + rng.below(28232)), destinationPort: port, ipProtocol: proto,
                          start: Timestamp(nanoseconds: start), end: Timestamp(nanoseconds: end),
                          packetsOut: packets.0, bytesOut: bytes.0, packetsIn: packets.1, bytesIn: bytes.1,
                          tcpFlagsOut: TCPFlags(rawValue: flags.0), tcpFlagsIn: TCPFlags(rawValue: flags.1), status: status)
    }

    private func annotated(_ flow: FlowRecord, _ client: Int, _ server: Int, service: String, verdict: Verdict,
                           egress: PolicyTrace?, ingress: PolicyTrace?, pending: PolicyTrace?) -> AnnotatedFlow {
        let annotation = FlowAnnotation(source: cluster.pods[client].identity, destination: cluster.pods[server].identity,
                                        destinationService: service, verdict: verdict, egress: egress,
                                        ingress: verdict == .allow || ingress?.action == .deny ? ingress : nil,
                                        pendingIngress: pending)
        return AnnotatedFlow(flow: flow, annotation: annotation, node: cluster.pods[client].node)
    }
}
