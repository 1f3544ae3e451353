import Foundation
import Testing
import FlowCore
@testable import samplegen

/// Connections the policies allow are answered; connections they deny never are.
@Suite("samplegen traffic follows the policies")
struct TrafficPolicyTests {
    struct Connection: Hashable {
        var client: IPAddress
        var server: IPAddress
        var clientPort: UInt16
        var serverPort: UInt16
    }

    @Test("answered TCP connections are allowed and unanswered ones denied")
    func tcpVerdicts() throws {
        let sample = try SampleFixture()
        defer { sample.remove() }
        let cluster = sample.generation.cluster
        let policy = sample.generation.policy
        var workloadOf: [IPAddress: Int] = [:]
        for pod in cluster.pods {
            workloadOf[pod.ipv4] = pod.workload
            workloadOf[pod.ipv6] = pod.workload
        }
        func group(_ address: IPAddress) -> ExternalGroup? {
            ExternalGroup.allCases.first { g in
                (0..<cluster.external.count(g)).contains { i in
                    cluster.external.address(g, i, ipv6: address.version == .v6) == address
                }
            }
        }
        var opened: [Connection] = []
        var answered: Set<Connection> = []
        for record in try PcapRecords(sample.contents("capture.pcap")).records {
            guard let p = DecodedPacket(record.frame), p.proto == 6 else { continue }
            if p.tcpFlags == 0x02 {
                opened.append(Connection(client: p.source, server: p.destination, clientPort: p.sourcePort, serverPort: p.destinationPort))
            } else if p.tcpFlags == 0x12 {
                answered.insert(Connection(client: p.destination, server: p.source, clientPort: p.destinationPort, serverPort: p.sourcePort))
            }
        }
        var denied = 0
        for connection in Set(opened) {
            let client = workloadOf[connection.client], server = workloadOf[connection.server]
            let expectAllowed: Bool
            switch (client, server) {
            case let (c?, s?):
                expectAllowed = policy.isAllowed(client: c, server: s, port: connection.serverPort, cluster)
            case let (nil, s?):
                let publicPort = cluster.workloads[s].role == .frontend && [8080, 8443].contains(connection.serverPort)
                expectAllowed = publicPort && group(connection.client) != .threatFeed
            case let (c?, nil):
                expectAllowed = group(connection.server) == .paymentProviders && connection.serverPort == 443
                    && cluster.workloads[c].role == .api && cluster.namespaceName(of: c) == "payments"
            case (nil, nil):
                Issue.record("external to external: \(connection)")
                continue
            }
            #expect(answered.contains(connection) == expectAllowed, "\(connection)")
            if !expectAllowed { denied += 1 }
        }
        #expect(denied > 0)
        #expect(denied < opened.count / 3)
    }

    @Test("the requested share of flows is denied")
    func deniedShare() throws {
        let sample = try SampleFixture(extra: ["--denied", "25"])
        defer { sample.remove() }
        let share = Double(sample.generation.traffic.deniedFlows) / Double(sample.generation.traffic.flows)
        #expect(share > 0.20 && share < 0.30)
    }
}
