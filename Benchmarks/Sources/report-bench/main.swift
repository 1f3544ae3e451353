// report-bench: the input of the report benchmark (Benchmarks/scripts/report.sh): a synthetic
// cluster of 4,096 pods and 1,000 policies (the policy benchmark's generator), a network-access
// GlobalReport, and a store holding a day of flows between those pods and the internet,
// annotated by the policy engine as the agent would.
//
//   report-bench prepare DIR FLOWS_PER_SECOND [CLUSTER]
//
// Writes DIR/cluster.yaml (unless CLUSTER, manifest files or a directory, is given: its pods
// are then the ones talking), DIR/network-access.yaml and DIR/store; prints the flow count and
// the day's bounds (RFC 3339) for the script's --start/--end and --since/--until.
#if canImport(Glibc)
import Glibc
#endif
import BenchCluster
import FlowCore
import Policy
import SegmentStore

func fail(_ message: String) -> Never {
    print("report-bench: \(message)")
    print("usage: report-bench prepare DIR FLOWS_PER_SECOND [CLUSTER]")
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count == 4 || arguments.count == 5, arguments[1] == "prepare", let rate = Double(arguments[3]), rate > 0 else {
    fail("bad arguments")
}
let directory = arguments[2]
let dayStart = Timestamp(seconds: 1_795_392_000, nanoseconds: 0)
let day: UInt64 = 86_400_000_000_000

do {
    mkdir(directory, 0o755)
    let cluster: Cluster
    let pods: [IPAddress]
    if arguments.count == 5 {
        cluster = try ClusterLoader.load(paths: [arguments[4]])
        pods = cluster.pods.flatMap(\.addresses).filter { $0.version == .v4 }
    } else {
        let generated = SyntheticCluster(namespaces: 8, podsPerNamespace: 512, policyCount: 1_000)
        try write(generated.yaml, to: directory + "/cluster.yaml")
        cluster = try ClusterLoader.load(text: generated.yaml, name: "synthetic")
        pods = generated.podAddresses
    }
    guard !pods.isEmpty else { fail("the cluster has no pod with an IPv4 address") }
    try write("""
        apiVersion: projectcalico.org/v3
        kind: GlobalReport
        metadata: {name: daily-network-access}
        spec: {reportType: network-access}

        """, to: directory + "/network-access.yaml")
    let engine = PolicyEngine(cluster: cluster)
    let count = Int(rate * 86_400)
    // A pool of distinct conversations, repeated over the day as real traffic repeats.
    let pool = SyntheticTraffic.flows(count: min(count, 200_000), pods: pods)
    let writer = try SegmentWriter(directory: directory + "/store", configuration: StoreConfiguration(fsync: .onSeal))
    var batch: [FlowRecord] = []
    var annotated: [AnnotatedFlow] = []
    let step = day / UInt64(count)
    for i in 0..<count {
        var flow = pool[i % pool.count]
        flow.start = Timestamp(nanoseconds: dayStart.nanoseconds + UInt64(i) * step)
        flow.end = Timestamp(nanoseconds: flow.start.nanoseconds + 2_000_000_000)
        flow.packetsOut = 6
        flow.packetsIn = 4
        flow.bytesOut = 900
        flow.bytesIn = 4_000
        batch.append(flow)
        if batch.count == 4_096 || i == count - 1 {
            engine.annotate(&batch, into: &annotated, node: "node-1")
            try writer.append(annotated)
            annotated.removeAll(keepingCapacity: true)
        }
    }
    try writer.close()
    print("flows \(count) pods \(cluster.pods.count) policies \(cluster.policies.count) start \(dayStart.wholeSeconds) end \(Timestamp(nanoseconds: dayStart.nanoseconds + day).wholeSeconds)")
} catch {
    fail("\(error)")
}

func write(_ text: String, to path: String) throws {
    guard let file = fopen(path, "w") else { throw FlowlogError(.io, "cannot write", location: .init(file: path)) }
    defer { fclose(file) }
    fputs(text, file)
}

extension Timestamp {
    var wholeSeconds: String { String(rfc3339.prefix(19)) + "Z" }
}
