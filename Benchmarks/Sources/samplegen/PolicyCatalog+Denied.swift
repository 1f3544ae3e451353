/// Conversations the policies deny, each checked against what they allow: the capture shows
/// them as SYNs and requests that nobody answers.
extension PolicyCatalog {
    func deniedPaths(_ cluster: ClusterPlan, random: inout SeededRandom) -> [TrafficPath] {
        var paths: [TrafficPath] = []
        let appWorkloads = cluster.applicationNamespaces.flatMap { cluster.namespaces[$0].workloads }
        guard !appWorkloads.isEmpty else { return paths }

        // Pod to pod without an allowing policy: the default deny drops it at the destination.
        var lateral: [(Int, Int, UInt16)] = []
        var seen: Set<PathKey> = []
        for _ in 0..<2000 where lateral.count < 48 {
            let client = appWorkloads[random.int(0...(appWorkloads.count - 1))]
            let server = appWorkloads[random.int(0...(appWorkloads.count - 1))]
            let ports = cluster.workloads[server].role.servicePorts
            guard client != server, !ports.isEmpty else { continue }
            let port = ports[random.int(0...(ports.count - 1))].number
            guard !isAllowed(client: client, server: server, port: port, cluster),
                  seen.insert(PathKey(client: client, server: server, port: port)).inserted else { continue }
            lateral.append((client, server, port))
        }
        for (client, server, port) in lateral {
            paths.append(TrafficPath(client: .workload(client), server: .workload(server), port: port, transport: .tcp,
                                     application: cluster.workloads[server].role.application, shape: .tcpUnanswered,
                                     weight: 0.35 / Double(lateral.count)))
        }
        // Pings between application pods: only Prometheus may probe.
        for _ in 0..<4 {
            let client = appWorkloads[random.int(0...(appWorkloads.count - 1))]
            let server = appWorkloads[random.int(0...(appWorkloads.count - 1))]
            guard client != server else { continue }
            paths.append(TrafficPath(client: .workload(client), server: .workload(server), port: 0, transport: .icmp,
                                     application: .http, shape: .icmpUnanswered, weight: 0.05 / 4))
        }
        // Egress to the internet (package mirrors, NTP): no policy allows it, the default deny drops it.
        let egressClients = appWorkloads.filter { [.worker, .api, .search].contains(cluster.workloads[$0].role) }
        for client in egressClients {
            paths.append(TrafficPath(client: .workload(client), server: .external(.internet), port: 443, transport: .tcp,
                                     application: .tls, shape: .tcpUnanswered, weight: 0.20 / Double(egressClients.count)))
            paths.append(TrafficPath(client: .workload(client), server: .external(.internet), port: 123, transport: .udp,
                                     application: .ntp, shape: .udpUnanswered, weight: 0.05 / Double(egressClients.count)))
        }
        // Known-bad hosts, both ways: the security tier denies before anything else is consulted.
        let frontends = appWorkloads.filter { cluster.workloads[$0].role == .frontend }
        let targets = frontends.isEmpty ? appWorkloads : frontends
        for client in egressClients {
            paths.append(TrafficPath(client: .workload(client), server: .external(.threatFeed), port: 443, transport: .tcp,
                                     application: .tls, shape: .tcpUnanswered, weight: 0.10 / Double(egressClients.count)))
        }
        for server in targets {
            paths.append(TrafficPath(client: .external(.threatFeed), server: .workload(server), port: 8080, transport: .tcp,
                                     application: .http, shape: .tcpUnanswered, weight: 0.10 / Double(targets.count)))
        }
        // Scanners probing non-public ports from the internet.
        let probed = appWorkloads.filter { cluster.workloads[$0].role != .frontend }
        for server in probed {
            for port: UInt16 in [22, 5432, 6379] {
                paths.append(TrafficPath(client: .external(.internet), server: .workload(server), port: port, transport: .tcp,
                                         application: .ssh, shape: .tcpUnanswered, weight: 0.15 / Double(probed.count * 3)))
            }
        }
        return paths
    }
}
