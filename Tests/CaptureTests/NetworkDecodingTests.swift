import Capture
import FlowCore
import FlowTestSupport
import Testing

/// IPv4 options and fragments, IPv6 extension headers, and every transport the key knows.
struct NetworkDecodingTests {
    typealias B = PacketBuilder
    let a4 = CaptureHarness.v4("198.51.100.7"), b4 = CaptureHarness.v4("203.0.113.9")
    let a6 = IPAddress("2001:db8::7")!, b6 = IPAddress("2001:db8::9")!

    func eth4(_ ip: [UInt8]) -> [UInt8] { B.ethernet(etherType: B.etherTypeIPv4, payload: ip) }
    func eth6(_ ip: [UInt8]) -> [UInt8] { B.ethernet(etherType: B.etherTypeIPv6, payload: ip) }

    @Test(arguments: [[UInt8](), [0x94, 0x04, 0x00, 0x00], [UInt8](repeating: 1, count: 40)])
    func ipv4Options(_ options: [UInt8]) throws {
        let ip = B.ipv4(source: a4, destination: b4, protocol: .tcp,
                        payload: B.tcp(sourcePort: 1234, destinationPort: 80, flags: .syn), options: options)
        let r = try CaptureHarness.run([eth4(ip)])
        let f = try #require(r.flows.first)
        #expect(f.sourcePort == 1234 && f.destinationPort == 80 && f.tcpFlagsOut == .syn)
    }

    @Test func ipv4FragmentsJoinTheirFirstFragmentsFlow() throws {
        let udp = B.udp(sourcePort: 5000, destinationPort: 6000, payload: [UInt8](repeating: 7, count: 16))
        let first = B.ipv4(source: a4, destination: b4, protocol: .udp, payload: udp, identification: 99, moreFragments: true)
        let second = B.ipv4(source: a4, destination: b4, protocol: .udp, payload: [UInt8](repeating: 8, count: 24),
                            identification: 99, moreFragments: true, fragmentOffset: 3)
        let last = B.ipv4(source: a4, destination: b4, protocol: .udp, payload: [UInt8](repeating: 9, count: 8),
                          identification: 99, fragmentOffset: 6)
        let r = try CaptureHarness.run([eth4(first), eth4(second), eth4(last)])
        #expect(r.flows.count == 1)
        #expect(r.flows.first?.packets == 3)
        #expect(r.flows.first?.sourcePort == 5000)
        #expect(r.statistics.laterFragments == 2 && r.statistics.laterFragmentsMatched == 2)
    }

    @Test func laterFragmentWithoutItsFirstIsKeyedWithoutPorts() throws {
        let orphan = B.ipv4(source: a4, destination: b4, protocol: .udp, payload: [UInt8](repeating: 8, count: 24),
                            identification: 5, fragmentOffset: 3)
        let other = B.ipv4(source: a4, destination: b4, protocol: .udp, payload: B.udp(sourcePort: 1, destinationPort: 2),
                           identification: 6)
        let r = try CaptureHarness.run([eth4(orphan), eth4(other)])
        #expect(r.flows.count == 2)
        let portless = try #require(r.flows.first { $0.sourcePort == 0 })
        #expect(portless.destinationPort == 0 && portless.ipProtocol == .udp)
        #expect(r.statistics.laterFragmentsMatched == 0)
    }

    @Test func ipv6FragmentHeaders() throws {
        let udp = B.udp(sourcePort: 5353, destinationPort: 5353, payload: [UInt8](repeating: 1, count: 24))
        let first = B.ipv6(source: a6, destination: b6, protocol: .udp, payload: udp,
                           extensionHeaders: [(44, B.ipv6FragmentHeader(offset: 0, moreFragments: true, identification: 0xABCD))])
        let later = B.ipv6(source: a6, destination: b6, protocol: .udp, payload: [UInt8](repeating: 2, count: 16),
                           extensionHeaders: [(44, B.ipv6FragmentHeader(offset: 4, moreFragments: false, identification: 0xABCD))])
        let r = try CaptureHarness.run([eth6(first), eth6(later)])
        #expect(r.flows.count == 1 && r.flows.first?.packets == 2 && r.flows.first?.sourcePort == 5353)
        #expect(r.flows.first?.ipProtocol == .udp)
    }

    @Test(arguments: [
        [UInt8(0)], [43], [60], [0, 60, 43, 60], [0, 43, 44, 60],
    ])
    func ipv6ExtensionHeadersAreSkipped(_ types: [UInt8]) throws {
        let headers: [(type: UInt8, body: [UInt8])] = types.enumerated().map { i, type in
            type == 44 ? (type, B.ipv6FragmentHeader(offset: 0, moreFragments: false))
                : (type, B.ipv6OptionsHeader(lengthUnits: UInt8(i % 3)))
        }
        let ip = B.ipv6(source: a6, destination: b6, protocol: .tcp,
                        payload: B.tcp(sourcePort: 33000, destinationPort: 22, flags: [.syn]), extensionHeaders: headers)
        let r = try CaptureHarness.run([eth6(ip)])
        let f = try #require(r.flows.first)
        #expect(f.ipProtocol == .tcp && f.sourcePort == 33000 && f.destinationPort == 22 && f.tcpFlagsOut == .syn)
    }

    @Test func sctpAndUDPLitePorts() throws {
        let sctp = B.ipv4(source: a4, destination: b4, protocol: .sctp, payload: B.sctp(sourcePort: 3868, destinationPort: 3869))
        let lite = B.ipv6(source: a6, destination: b6, protocol: .udplite, payload: B.udp(sourcePort: 9, destinationPort: 10))
        let r = try CaptureHarness.run([eth4(sctp), eth6(lite)])
        #expect(r.flows.first { $0.ipProtocol == .sctp }?.destinationPort == 3869)
        #expect(r.flows.first { $0.ipProtocol == .udplite }?.destinationPort == 10)
    }

    @Test func icmpEchoIdentifierPairsRequestAndReply() throws {
        let request = B.ipv4(source: a4, destination: b4, protocol: .icmp, payload: B.icmp(type: 8, code: 0, identifier: 4242, sequence: 1))
        let reply = B.ipv4(source: b4, destination: a4, protocol: .icmp, payload: B.icmp(type: 0, code: 0, identifier: 4242, sequence: 1))
        let otherPing = B.ipv4(source: a4, destination: b4, protocol: .icmp, payload: B.icmp(type: 8, code: 0, identifier: 4243))
        let unreachable = B.ipv4(source: b4, destination: a4, protocol: .icmp, payload: B.icmp(type: 3, code: 3) + [UInt8](repeating: 0, count: 28))
        let r = try CaptureHarness.run([eth4(request), eth4(reply), eth4(otherPing), eth4(unreachable)])
        #expect(r.flows.count == 3)
        let ping = try #require(r.flows.first { $0.sourcePort == 4242 })
        #expect(ping.sourceAddress == a4 && ping.packetsOut == 1 && ping.packetsIn == 1)
        #expect(ping.icmpType == 8 && ping.destinationPort == 4242)
        let error = try #require(r.flows.first { $0.icmpType == 3 })
        #expect(error.icmpCode == 3 && error.sourcePort == 0 && error.sourceAddress == b4)
    }

    @Test func icmpv6Echo() throws {
        let request = B.ipv6(source: a6, destination: b6, protocol: .icmpv6, payload: B.icmp(type: 128, code: 0, identifier: 7))
        let reply = B.ipv6(source: b6, destination: a6, protocol: .icmpv6, payload: B.icmp(type: 129, code: 0, identifier: 7))
        let neighbour = B.ipv6(source: a6, destination: b6, protocol: .icmpv6, payload: B.icmp(type: 135, code: 0) + [UInt8](repeating: 0, count: 20))
        let r = try CaptureHarness.run([eth6(request), eth6(reply), eth6(neighbour)])
        #expect(r.flows.count == 2)
        #expect(r.flows.first { $0.sourcePort == 7 }?.packets == 2)
        #expect(r.flows.first { $0.icmpType == 135 }?.sourcePort == 0)
    }

    @Test func otherProtocolsByNumber() throws {
        let gre = B.ipv4(source: a4, destination: b4, protocol: IPProtocol(rawValue: 47), payload: [0, 0, 0x08, 0x00])
        let esp = B.ipv6(source: a6, destination: b6, protocol: IPProtocol(rawValue: 50), payload: [0, 0, 1, 0, 0, 0, 0, 1])
        let r = try CaptureHarness.run([eth4(gre), eth6(esp), eth4(gre)])
        #expect(r.flows.count == 2)
        #expect(r.flows.first { $0.ipProtocol.rawValue == 47 }?.packets == 2)
        #expect(r.flows.first { $0.ipProtocol.rawValue == 50 }?.sourcePort == 0)
    }

    @Test func bothDirectionsShareOneFlow() throws {
        let out = B.ipv4(source: a4, destination: b4, protocol: .udp, payload: B.udp(sourcePort: 40000, destinationPort: 53, payload: [1]))
        let back = B.ipv4(source: b4, destination: a4, protocol: .udp, payload: B.udp(sourcePort: 53, destinationPort: 40000, payload: [1, 2, 3]))
        let r = try CaptureHarness.run([eth4(out), eth4(back), eth4(back)])
        let f = try #require(r.flows.first)
        #expect(r.flows.count == 1)
        #expect(f.sourceAddress == a4 && f.sourcePort == 40000)
        #expect(f.packetsOut == 1 && f.packetsIn == 2)
        #expect(f.bytesOut == UInt64(eth4(out).count) && f.bytesIn == UInt64(2 * eth4(back).count))
    }
}
