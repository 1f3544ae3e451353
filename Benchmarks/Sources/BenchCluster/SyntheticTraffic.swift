import FlowCore

/// Ports the synthetic flows use: the cluster's plus two no policy names.
public enum SyntheticClusterPorts {
    public static let all: [UInt16] = SyntheticCluster.ports + [8080, 8085]
}

/// New flows between random pods of a `SyntheticCluster` and external addresses: 80 % pod to
/// pod, 10 % pod to the internet, 10 % the internet to a pod; start and end times are zero.
public enum SyntheticTraffic {
    public static func flows(count: Int, pods: [IPAddress]) -> [FlowRecord] {
        var rng = SplitMix64(seed: 7)
        var flows: [FlowRecord] = []
        flows.reserveCapacity(count)
        for _ in 0..<count {
            let kind = rng.next() % 10
            let pod = pods[Int(rng.next() % UInt64(pods.count))]
            let other = pods[Int(rng.next() % UInt64(pods.count))]
            let external = IPAddress(ipv4: UInt32(truncatingIfNeeded: rng.next() % 2 == 0
                ? 0xC633_6400 | UInt32(rng.next() % 0x800)   // 198.51.100.x … inside the sets
                : 0xCB00_7100 | UInt32(rng.next() % 256)))   // 203.0.113.x
            let port = SyntheticClusterPorts.all[Int(rng.next() % UInt64(SyntheticClusterPorts.all.count))]
            let udp = port == 53
            let (src, dst) = kind < 8 ? (pod, other) : (kind == 8 ? (pod, external) : (external, pod))
            flows.append(FlowRecord(
                sourceAddress: src, destinationAddress: dst,
                sourcePort: UInt16(32768 + rng.next() % 28000), destinationPort: port,
                ipProtocol: udp ? .udp : .tcp, start: .zero, end: .zero))
        }
        return flows
    }
}
