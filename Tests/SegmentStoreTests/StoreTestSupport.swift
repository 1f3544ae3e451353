import FlowCore
import Foundation
@testable import SegmentStore

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "store") {
        var template = Array((NSTemporaryDirectory() + "/flowlog-\(label)-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = made.map { String(cString: $0) } ?? NSTemporaryDirectory() + "/flowlog-\(label)-\(UInt64.random(in: 0...UInt64.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func files(suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
    }
}

/// Collects every flow a scan hands over, optionally declining blocks by a rule.
struct CollectingVisitor: StoreVisitor {
    var flows: [AnnotatedFlow] = []
    var digests: [BlockDigest] = []
    var accept: (BlockDigest) -> Bool = { _ in true }
    var stopAfter: Int? = nil

    mutating func shouldRead(block digest: BlockDigest) -> Bool {
        digests.append(digest)
        return accept(digest)
    }

    mutating func visit(_ flow: AnnotatedFlow) -> Bool {
        flows.append(flow)
        if let stopAfter, flows.count >= stopAfter { return false }
        return true
    }
}

func readAll(_ directory: String, since: Timestamp? = nil, until: Timestamp? = nil) throws -> ([AnnotatedFlow], ScanStatistics) {
    let reader = try StoreReader(directory: directory)
    var visitor = CollectingVisitor()
    let stats = try reader.scan(since: since, until: until, visitor: &visitor)
    return (visitor.flows, stats)
}

func write(_ flows: [AnnotatedFlow], to directory: String, configuration: StoreConfiguration = .init(), batch: Int = 1000) throws -> WriterStatistics {
    let writer = try SegmentWriter(directory: directory, configuration: configuration)
    var start = 0
    while start < flows.count {
        try writer.append(Array(flows[start..<min(flows.count, start + batch)]))
        start += batch
    }
    try writer.close()
    return writer.statistics
}

/// Flows that exercise every field and its edge values.
func edgeCaseFlows() -> [AnnotatedFlow] {
    let labels = ["app": "checkout", "tier": "", "ünïcødé/ключ": "値 ✓", "a.b/c-d_e": "x y"]
    let pod = EndpointIdentity(kind: .workload, namespace: "shop", name: "checkout-7d9f8b6c5d-x2k9p",
                               aggregatedName: "checkout-7d9f8b6c5d-*", labels: labels, serviceAccount: "checkout")
    let host = EndpointIdentity(kind: .host, namespace: "-", name: "node-1", aggregatedName: "node-1", labels: ["role": "worker"])
    let set = EndpointIdentity(kind: .networkSet, namespace: "", name: "", aggregatedName: "allowed-egress", labels: [:], serviceAccount: "")
    let hits = [
        PolicyHit(index: 0, tier: "security", kind: .globalNetworkPolicy, name: "baseline", action: .pass, ruleIndex: -1),
        PolicyHit(index: 1, tier: "default", kind: .networkPolicy, namespace: "shop", name: "allow", action: .allow, ruleIndex: 3),
        PolicyHit(index: 2, tier: "default", kind: .kubernetesNetworkPolicy, namespace: "shop", name: "k", action: .deny, ruleIndex: 0),
        PolicyHit(index: 3, tier: "t", kind: .stagedGlobalNetworkPolicy, name: "s1", action: .allow, ruleIndex: 9),
        PolicyHit(index: 4, tier: "t", kind: .stagedNetworkPolicy, namespace: "n", name: "s2", action: .deny, ruleIndex: 1000),
        PolicyHit(index: 5, tier: "t", kind: .stagedKubernetesNetworkPolicy, namespace: "n", name: "s3", action: .pass, ruleIndex: -1),
        PolicyHit(index: 6, tier: PolicyHit.profileTier, kind: .profile, name: "kns.shop", action: .allow, ruleIndex: 0),
    ]
    let full = FlowAnnotation(source: pod, destination: host, destinationService: "shop/checkout", verdict: .deny,
                              egress: PolicyTrace(reporter: .source, action: .allow, hits: Array(hits[0...2])),
                              ingress: PolicyTrace(reporter: .destination, action: .deny, hits: Array(hits[3...6])),
                              pendingEgress: PolicyTrace(reporter: .source, action: .deny, hits: []),
                              pendingIngress: PolicyTrace(reporter: .destination, action: .unknown, hits: [hits[6]]))
    let partial = FlowAnnotation(source: .network(IPAddress("8.8.8.8")!), destination: set, verdict: .unknown)
    let v6a = IPAddress("2001:db8::1")!, v6b = IPAddress("fe80::ffff:ffff:ffff:ffff")!
    var flows: [AnnotatedFlow] = []
    flows.append(AnnotatedFlow(flow: FlowRecord(
        sourceAddress: IPAddress("10.0.0.1")!, destinationAddress: IPAddress("255.255.255.255")!,
        sourcePort: 65535, destinationPort: 0, ipProtocol: .tcp, vlan: 0, innerVLAN: 4095,
        start: Timestamp(nanoseconds: 1_700_000_000_123_456_789), end: Timestamp(nanoseconds: 1_700_000_000_123_456_790),
        packetsOut: .max, bytesOut: .max, packetsIn: 0, bytesIn: 1,
        tcpFlagsOut: TCPFlags(rawValue: 0xFF), tcpFlagsIn: [.syn, .ack],
        status: FlowStatus(rawValue: 0xFFFF)), annotation: full, node: "node-1"))
    flows.append(AnnotatedFlow(flow: FlowRecord(
        sourceAddress: v6a, destinationAddress: v6b, sourcePort: 7, destinationPort: 7, ipProtocol: .icmpv6,
        vlan: 4094, innerVLAN: FlowRecord.noVLAN, icmpType: 128, icmpCode: 255,
        start: Timestamp(nanoseconds: 0), end: Timestamp(nanoseconds: 5),
        packetsOut: 1, bytesOut: 0, packetsIn: 2, bytesIn: 3, status: [.startObserved, .continuation, .evicted]),
        annotation: partial, node: ""))
    // End before start (a broken upstream clock) must still come back exactly.
    flows.append(AnnotatedFlow(flow: FlowRecord(
        sourceAddress: IPAddress("0.0.0.0")!, destinationAddress: IPAddress("::")!, ipProtocol: IPProtocol(rawValue: 255),
        start: Timestamp(nanoseconds: .max), end: Timestamp(nanoseconds: 1)), annotation: nil, node: "ノード"))
    flows.append(AnnotatedFlow(flow: FlowRecord(
        sourceAddress: IPAddress("192.168.1.1")!, destinationAddress: IPAddress("192.168.1.2")!,
        sourcePort: 1, destinationPort: 2, ipProtocol: .udp,
        start: Timestamp(seconds: 1_795_392_000, nanoseconds: 0), end: Timestamp(seconds: 1_795_392_001, nanoseconds: 0)),
        annotation: full, node: "node-1"))
    return flows
}
