import FlowCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one run of samplegen made.
struct SampleGeneration {
    var cluster: ClusterPlan
    var policy: PolicyCatalog
    var documents: Int
    var traffic: TrafficGenerator.Summary

    /// Writes OUT/cluster/*.yaml and OUT/capture.pcap for `options`.
    init(_ options: GeneratorOptions) throws {
        let clusterDirectory = options.outputDirectory + "/cluster"
        for directory in [options.outputDirectory, clusterDirectory] where mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw FlowlogError(.io, String(cString: strerror(errno)), location: .init(file: directory), call: "mkdir")
        }
        // Separate streams for the cluster and the traffic, so that changing the flow count
        // leaves the manifests byte for byte the same.
        var clusterRandom = SeededRandom(seed: options.seed)
        cluster = try ClusterPlan(options: options, random: &clusterRandom)
        policy = PolicyCatalog(cluster: cluster, options: options, random: &clusterRandom)
        var manifests = ClusterManifests(cluster: cluster, policy: policy, start: options.start, random: clusterRandom)
        documents = try manifests.write(to: clusterDirectory)

        var generator = TrafficGenerator(cluster: cluster, policy: policy, options: options,
                                         random: SeededRandom(seed: options.seed &+ 0x7EA_FF1C))
        traffic = try generator.run(to: options.outputDirectory + "/capture.pcap")
    }

    /// The lines samplegen prints on stderr.
    func report(requestedPolicies: Int) -> [String] {
        func percent(_ part: Int, _ whole: Int) -> String {
            let tenths = whole > 0 ? (part * 1000 + whole / 2) / whole : 0
            return "\(tenths / 10).\(tenths % 10)%"
        }
        var lines = [
            "samplegen: cluster: \(cluster.namespaces.count) namespaces, \(cluster.workloads.count) workloads, \(cluster.pods.count) pods, "
                + "\(cluster.services.count) services, \(policy.tiers.count) tiers, \(policy.policyCount) policies "
                + "(\(policy.stagedPolicies.count) staged), \(policy.networkSets.count) network sets, \(documents) documents",
            "samplegen: capture: \(traffic.packets) packets, \(traffic.flows) flows (\(traffic.deniedFlows) denied, \(percent(traffic.deniedFlows, traffic.flows))), "
                + "\(traffic.fileBytes) bytes, \(percent(Int(traffic.ipv6Packets), Int(traffic.packets))) IPv6 packets, "
                + "\(Int(traffic.lastPacketSeconds)) s, at most \(traffic.peakOpenFlows) flows open",
        ]
        if policy.policyCount < requestedPolicies {
            lines.append("samplegen: note: \(policy.policyCount) policies, not \(requestedPolicies): every workload path is already allowed")
        } else if policy.policyCount > requestedPolicies {
            lines.append("samplegen: note: \(policy.policyCount) policies, not \(requestedPolicies): the baseline for this many namespaces")
        }
        return lines
    }
}
