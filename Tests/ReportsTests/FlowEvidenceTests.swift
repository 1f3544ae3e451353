import FlowCore
import Foundation
import Policy
import SegmentStore
import Testing
@testable import Reports

/// Observed evidence from a store of hand-made flows, every count worked out by hand.
@Suite struct FlowEvidenceTests {
    static let cluster = """
    apiVersion: v1
    kind: Namespace
    metadata: {name: alpha}
    ---
    apiVersion: v1
    kind: Namespace
    metadata: {name: beta}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: web, namespace: alpha, labels: {app: web}}
    status: {podIP: 10.1.0.1}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: db, namespace: beta, labels: {app: db}}
    status: {podIP: 10.2.0.1}
    """

    static let web = EndpointIdentity(kind: .workload, namespace: "alpha", name: "web", aggregatedName: "web")
    static let db = EndpointIdentity(kind: .workload, namespace: "beta", name: "db", aggregatedName: "db")
    static let pub = EndpointIdentity(kind: .network, aggregatedName: "pub")
    static let pvt = EndpointIdentity(kind: .network, aggregatedName: "pvt")

    static func flow(_ src: String, _ dst: String, _ at: String, _ s: EndpointIdentity, _ d: EndpointIdentity,
                     _ verdict: Verdict, port: UInt16 = 443) -> AnnotatedFlow {
        let start = Timestamp(rfc3339: at)!
        return AnnotatedFlow(
            flow: FlowRecord(sourceAddress: IPAddress(src)!, destinationAddress: IPAddress(dst)!, sourcePort: 40000,
                             destinationPort: port, ipProtocol: .tcp, start: start,
                             end: Timestamp(nanoseconds: start.nanoseconds + 1_000_000_000), packetsOut: 3, packetsIn: 1),
            annotation: FlowAnnotation(source: s, destination: d, verdict: verdict))
    }

    static let flows: [AnnotatedFlow] = [
        flow("203.0.113.5", "10.1.0.1", "2026-11-02T09:00:10Z", pub, web, .allow),
        flow("203.0.113.6", "10.1.0.1", "2026-11-02T09:30:00Z", pub, web, .deny, port: 22),
        flow("10.1.0.1", "10.2.0.1", "2026-11-02T09:10:00Z", web, db, .allow, port: 5432),
        flow("10.1.0.1", "198.18.0.1", "2026-11-02T09:20:00Z", web, pub, .allow),
        flow("10.1.0.1", "10.9.9.9", "2026-11-02T09:21:00Z", web, pvt, .allow),
        flow("10.2.0.1", "10.1.0.1", "2026-11-02T09:59:00Z", db, web, .deny, port: 8080),
        // Before the interval.
        flow("203.0.113.5", "10.1.0.1", "2026-11-02T08:00:00Z", pub, web, .allow),
        // No in-scope side (scope is namespace alpha).
        flow("10.2.0.1", "203.0.113.9", "2026-11-02T09:40:00Z", db, pub, .allow),
    ]

    @Test func countsPerEndpointAndForTheWholeScope() throws {
        let dir = ReportFixtures.temporaryDirectory("evidence")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try SegmentWriter(directory: dir, configuration: StoreConfiguration(blockRecords: 4, fsync: .onSeal))
        try writer.append(Self.flows)
        try writer.close()
        let d = try ReportFixtures.document(try ClusterLoader.load(text: Self.cluster), .networkAccess,
                                            EndpointSelection(namespaces: NameSelection(names: ["alpha"])), data: dir)
        let evidence = try #require(d.evidence)
        // The store hands over only flows overlapping the interval: the 08:00 flow never arrives.
        #expect(evidence.flowsScanned == 7)
        #expect(evidence.flowsInScope == 6 && evidence.flowsAllowed == 4 && evidence.flowsDenied == 2)
        let web = try #require(evidence.endpoints[EndpointKey(kind: .pod, namespace: "alpha", name: "web")])
        #expect(web.allowedFlows == 4)
        #expect(web.allowedFromInternet == 1 && web.allowedToInternet == 1)
        #expect(web.deniedIngress == 2 && web.deniedEgress == 0)
        #expect(web.otherNamespaceDestinations == ["Pod.v1(beta/db)"])
        #expect(web.otherNamespaceSources.isEmpty)
        #expect(web.sources == ["Network(pub)"] && web.destinations == ["Network(pub)", "Network(pvt)", "Pod.v1(beta/db)"])
        #expect(evidence.matrix["(internet)"]?["alpha"] == MatrixCell(allowed: 1, denied: 1))
        #expect(evidence.matrix["alpha"]?["beta"] == MatrixCell(allowed: 1, denied: 0))
        #expect(evidence.matrix["alpha"]?["(internet)"] == MatrixCell(allowed: 1, denied: 0))
        #expect(evidence.matrix["alpha"]?["(private)"] == MatrixCell(allowed: 1, denied: 0))
        #expect(evidence.matrix["beta"]?["alpha"] == MatrixCell(allowed: 0, denied: 1))
        #expect(evidence.matrix["beta"]?["(internet)"] == nil)
        // 48 slices of 75 s: 09:00:10 → 0, 09:10 → 8, 09:20 and 09:21 → 16, 09:30 → 24, 09:59 → 47.
        #expect(evidence.bucketNanoseconds == 75_000_000_000)
        #expect(evidence.timeline[0] == MatrixCell(allowed: 1, denied: 0))
        #expect(evidence.timeline[8] == MatrixCell(allowed: 1, denied: 0))
        #expect(evidence.timeline[16] == MatrixCell(allowed: 2, denied: 0))
        #expect(evidence.timeline[24] == MatrixCell(allowed: 0, denied: 1))
        #expect(evidence.timeline[47] == MatrixCell(allowed: 0, denied: 1))
        #expect(evidence.timeline.reduce(0) { $0 + $1.allowed + $1.denied } == 6)
        #expect(evidence.topDenied.map { "\($0.source)>\($0.destination):\($0.destinationPort)" } ==
                ["Network(pub)>Pod.v1(alpha/web):22", "Pod.v1(beta/db)>Pod.v1(alpha/web):8080"])
        let s = try #require(ReportSummary(d).observed)
        #expect(s.endpointsAllowedFromInternet == 1 && s.endpointsAllowedToInternet == 1)
        #expect(s.endpointsWithOtherNamespacePeers == 1 && s.endpointsWithDeniedFlows == 1)
        let row = ReportCSV.flowlogEndpointsFile(d).split(separator: "\n")[1]
        #expect(row.hasPrefix("Pod.v1(alpha/web),false,false,false,false,true,true,true,true,4,1,1,2,0,,Pod.v1(beta/db),"))
    }

    @Test func aMissingStoreIsAClearError() throws {
        let error = #expect(throws: FlowlogError.self) {
            try ReportFixtures.document(try ClusterLoader.load(text: Self.cluster), data: "/nonexistent/flowlog-store")
        }
        #expect(error?.code == .fileNotFound)
    }
}
