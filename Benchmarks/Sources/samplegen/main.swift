// samplegen: writes a synthetic cluster (Kubernetes and Calico manifests) and a capture of its
// traffic, deterministic from a seed. See docs/samples.md.
import FlowCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func generate(_ options: GeneratorOptions) throws {
    let clusterDirectory = options.outputDirectory + "/cluster"
    for directory in [options.outputDirectory, clusterDirectory] where mkdir(directory, 0o755) != 0 && errno != EEXIST {
        throw FlowlogError(.io, String(cString: strerror(errno)), location: .init(file: directory), call: "mkdir")
    }
    // Separate streams for the cluster and the traffic, so that changing the flow count leaves
    // the manifests byte for byte the same.
    var clusterRandom = SeededRandom(seed: options.seed)
    let cluster = try ClusterPlan(options: options, random: &clusterRandom)
    let policy = PolicyCatalog(cluster: cluster, options: options, random: &clusterRandom)
    var manifests = ClusterManifests(cluster: cluster, policy: policy, start: options.start, random: clusterRandom)
    let documents = try manifests.write(to: clusterDirectory)

    var generator = TrafficGenerator(cluster: cluster, policy: policy, options: options,
                                     random: SeededRandom(seed: options.seed &+ 0x7EA_FF1C))
    let summary = try generator.run(to: options.outputDirectory + "/capture.pcap")

    func percent(_ part: Double, _ whole: Double) -> String {
        whole > 0 ? String(Int((part / whole * 1000).rounded()) / 10) + "." + String(Int((part / whole * 1000).rounded()) % 10) + "%" : "0%"
    }
    let stderrLines = [
        "samplegen: cluster: \(cluster.namespaces.count) namespaces, \(cluster.workloads.count) workloads, \(cluster.pods.count) pods, "
            + "\(cluster.services.count) services, \(policy.tiers.count) tiers, \(policy.policyCount) policies "
            + "(\(policy.stagedPolicies.count) staged), \(policy.networkSets.count) network sets, \(documents) documents",
        "samplegen: capture: \(summary.packets) packets, \(summary.flows) flows (\(percent(Double(summary.deniedFlows), Double(summary.flows))) denied), "
            + "\(summary.fileBytes) bytes, \(percent(Double(summary.ipv6Packets), Double(summary.packets))) IPv6 packets, "
            + "\(Int(summary.lastPacketSeconds)) s, at most \(summary.peakOpenFlows) flows open",
    ]
    if policy.policyCount < options.policies {
        fputs("samplegen: note: \(policy.policyCount) policies (every allowable path is allowed; asked for \(options.policies))\n", stderr)
    } else if policy.policyCount > options.policies {
        fputs("samplegen: note: \(policy.policyCount) policies (the baseline set for \(options.namespaces) namespaces; asked for \(options.policies))\n", stderr)
    }
    for line in stderrLines { fputs(line + "\n", stderr) }
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    print(GeneratorOptions.usage)
    exit(0)
}
do {
    try generate(try GeneratorOptions(arguments: arguments))
} catch let error as FlowlogError {
    fputs("samplegen: \(error)\n", stderr)
    if error.code == .invalidArgument { fputs(GeneratorOptions.usage + "\n", stderr) }
    exit(error.code == .invalidArgument ? 2 : 1)
} catch {
    fputs("samplegen: \(error)\n", stderr)
    exit(1)
}
