import BenchCluster
import FlowCore
import Foundation
import Policy

/// policy-bench: 1,000 policies in 5 tiers, 10,000 pods, a stream of new flows between random
/// pods and external addresses; prints `<name> <value>` lines for Benchmarks/scripts/policy.sh.
@main
struct PolicyBench {
    static func main() throws {
        let arguments = CommandLine.arguments
        if arguments.count > 1, arguments[1] == "--cluster" {
            guard arguments.count >= 5, arguments[3] == "--capture" else {
                fputs("usage: policy-bench [FLOWS [PASSES]] | --cluster DIR --capture FILE [RANDOM_FLOWS]\n", stderr)
                exit(2)
            }
            try LargeClusterBench.run(clusterDirectory: arguments[2], capture: arguments[4],
                                      randomCount: arguments.count > 5 ? Int(arguments[5]) ?? 200_000 : 200_000)
            return
        }
        let flowCount = arguments.count > 1 ? Int(arguments[1]) ?? 200_000 : 200_000
        let warmPasses = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5

        let generated = SyntheticCluster()
        var clock = cpuNow()
        let cluster = try ClusterLoader.load(text: generated.yaml, name: "synthetic")
        let loadSeconds = seconds(since: clock)
        print("pods \(cluster.pods.count)")
        print("policies \(cluster.policies.count)")
        print("tiers \(cluster.tiers.count)")
        print("load_seconds \(loadSeconds)")

        let flows = SyntheticTraffic.flows(count: flowCount, pods: generated.podAddresses)

        // Cold: a fresh engine with no decision cache; every flow is decided from scratch, and
        // the per-endpoint plans and selector answers are built as flows first touch them.
        let cold = PolicyEngine(cluster: cluster, options: PolicyOptions(cachesDecisions: false))
        clock = cpuNow()
        var verdicts = [0, 0, 0]
        for flow in flows { verdicts[Int(cold.annotate(flow).verdict.rawValue)] += 1 }
        let coldSeconds = seconds(since: clock)
        print("cold_first_pass_per_second \(Double(flows.count) / coldSeconds)")

        // Uncached steady state: still no decision cache, but plans and selector answers exist.
        clock = cpuNow()
        for flow in flows { _ = cold.annotate(flow) }
        print("cold_uncached_per_second \(Double(flows.count) / seconds(since: clock))")

        // First pass of a caching engine: every flow is a new address pair, so only the match-class
        // cache (walks shared by ends rules cannot tell apart) and the plans help.
        let warm = PolicyEngine(cluster: cluster)
        clock = cpuNow()
        for flow in flows { _ = warm.annotate(flow) }
        print("cached_first_pass_per_second \(Double(flows.count) / seconds(since: clock))")

        // Warm: decisions cached by the first pass, then served from the cache.
        clock = cpuNow()
        var allowed = 0
        for _ in 0..<warmPasses {
            for flow in flows where warm.annotate(flow).verdict == .allow { allowed += 1 }
        }
        print("warm_per_second \(Double(flows.count * warmPasses) / seconds(since: clock))")

        // The batch entry point the pipeline uses, warm.
        var out: [AnnotatedFlow] = []
        out.reserveCapacity(flows.count)
        var batch: [FlowRecord] = []
        batch.reserveCapacity(flows.count)
        var batchSeconds = 0.0
        for _ in 0..<warmPasses {
            batch.append(contentsOf: flows)
            out.removeAll(keepingCapacity: true)
            clock = cpuNow()
            warm.annotate(&batch, into: &out, node: "node1")
            batchSeconds += seconds(since: clock)
        }
        print("warm_batch_per_second \(Double(flows.count * warmPasses) / batchSeconds)")
        print("distinct_decisions \(warm.cachedDecisions)")
        print("verdicts unknown=\(verdicts[0]) allow=\(verdicts[1]) deny=\(verdicts[2]) warm_allowed=\(allowed)")
    }

    /// CPU time of this thread: the machine is shared, so wall-clock time would count other
    /// processes' turns on the core; decisions per CPU-second is "decisions/s on one core".
    static func cpuNow() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    static func seconds(since start: Double) -> Double { cpuNow() - start }
}
