import FlowCore
@testable import Policy

/// A small cluster for semantics tests: namespaces shop (env=prod) and other (env=dev), pods
/// client (shop, sa default), web (shop, sa web, named port http 8080/TCP and dns 53/UDP),
/// db (other, sa db with label role=db), and whatever policies a test appends.
enum TestCluster {
    static let base = """
    apiVersion: v1
    kind: Namespace
    metadata: {name: shop, labels: {env: prod}}
    ---
    apiVersion: v1
    kind: Namespace
    metadata: {name: other, labels: {env: dev}}
    ---
    apiVersion: v1
    kind: ServiceAccount
    metadata: {name: db, namespace: other, labels: {role: db}}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: client-7d9f-abcde, generateName: client-7d9f-, namespace: shop, labels: {app: client}}
    spec: {containers: [{name: main}]}
    status: {podIP: 10.0.1.10, podIPs: [{ip: 10.0.1.10}, {ip: "fd00::10"}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: web-1, namespace: shop, labels: {app: web}}
    spec:
      serviceAccountName: web
      containers:
      - name: main
        ports:
        - {name: http, containerPort: 8080, protocol: TCP}
        - {name: dns, containerPort: 53, protocol: UDP}
    status: {podIP: 10.0.1.20, podIPs: [{ip: 10.0.1.20}, {ip: "fd00::20"}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: db-0, namespace: other, labels: {app: db}}
    spec: {serviceAccountName: db, containers: [{name: main}]}
    status: {podIP: 10.0.2.30}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: shop}
    spec: {selector: {app: web}, clusterIP: 10.96.0.20}
    """

    static func cluster(_ extra: String) throws -> Cluster {
        try ClusterLoader.load(text: base + "\n---\n" + extra, name: "test.yaml")
    }

    static func decide(_ extra: String, _ src: String, _ dst: String, _ proto: String = "tcp",
                       srcPort: UInt16 = 40000, dstPort: UInt16 = 80, icmpType: UInt8 = 0, icmpCode: UInt8 = 0) throws -> FlowAnnotation {
        let c = try cluster(extra)
        let request = ExplainRequest(source: src, destination: dst, ipProtocol: proto, sourcePort: srcPort,
                                     destinationPort: dstPort, icmpType: icmpType, icmpCode: icmpCode)
        return PolicyEngine(cluster: c).explain(try request.flow(in: c)).annotation
    }

    static let client = "shop/client-7d9f-abcde"
    static let web = "shop/web-1"
    static let db = "other/db-0"
}

extension Optional where Wrapped == PolicyTrace {
    var strings: [String] { self?.hits.map(\.flowLogString) ?? [] }
}
