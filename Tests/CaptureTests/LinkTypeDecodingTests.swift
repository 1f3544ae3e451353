import Capture
import FlowCore
import FlowTestSupport
import Testing

/// One hand-built packet per link type and framing, checked down to the flow key.
struct LinkTypeDecodingTests {
    typealias B = PacketBuilder
    let a4 = CaptureHarness.v4("10.0.0.1"), b4 = CaptureHarness.v4("10.0.0.2")
    let a6 = IPAddress("fd00::1")!, b6 = IPAddress("fd00::2")!

    var udp4: [UInt8] { B.ipv4(source: a4, destination: b4, protocol: .udp, payload: B.udp(sourcePort: 5353, destinationPort: 53)) }
    var tcp6: [UInt8] { B.ipv6(source: a6, destination: b6, protocol: .tcp, payload: B.tcp(sourcePort: 40000, destinationPort: 443, flags: .syn)) }

    func expectUDP4(_ r: CaptureHarness.Result, vlan: UInt16 = FlowRecord.noVLAN, inner: UInt16 = FlowRecord.noVLAN) throws {
        #expect(r.statistics.ipPackets == 1, "ip packets")
        let f = try #require(r.flows.first)
        #expect(f.sourceAddress == a4 && f.destinationAddress == b4)
        #expect(f.sourcePort == 5353 && f.destinationPort == 53 && f.ipProtocol == .udp)
        #expect(f.vlan == vlan && f.innerVLAN == inner)
    }

    func expectTCP6(_ r: CaptureHarness.Result) throws {
        #expect(r.statistics.ipPackets == 1)
        let f = try #require(r.flows.first)
        #expect(f.sourceAddress == a6 && f.destinationAddress == b6)
        #expect(f.sourcePort == 40000 && f.destinationPort == 443 && f.ipProtocol == .tcp)
        #expect(f.tcpFlagsOut == .syn)
    }

    @Test func ethernetUntagged() throws {
        try expectUDP4(CaptureHarness.run([B.ethernet(etherType: B.etherTypeIPv4, payload: udp4)]))
        try expectTCP6(CaptureHarness.run([B.ethernet(etherType: B.etherTypeIPv6, payload: tcp6)]))
    }

    @Test(arguments: [
        [(UInt16(0x8100), UInt16(10))],
        [(UInt16(0x88A8), UInt16(100)), (UInt16(0x8100), UInt16(20))],
        [(UInt16(0x9100), UInt16(5)), (UInt16(0x8100), UInt16(6))],
        [(UInt16(0x88A8), UInt16(1)), (UInt16(0x8100), UInt16(2)), (UInt16(0x8100), UInt16(3))],
    ])
    func ethernetTagStacks(_ tags: [(UInt16, UInt16)]) throws {
        let stack = tags.map { (tpid: $0.0, id: $0.1) }
        let r = try CaptureHarness.run([B.ethernet(vlanTags: stack, etherType: B.etherTypeIPv4, payload: udp4)])
        // The outermost tag is the flow's VLAN, the next one its inner VLAN; deeper tags are skipped.
        try expectUDP4(r, vlan: tags[0].1, inner: tags.count > 1 ? tags[1].1 : FlowRecord.noVLAN)
    }

    @Test func differentVLANsAreDifferentFlows() throws {
        let frames = [
            B.ethernet(vlanTags: [(0x8100, 10)], etherType: B.etherTypeIPv4, payload: udp4),
            B.ethernet(vlanTags: [(0x8100, 11)], etherType: B.etherTypeIPv4, payload: udp4),
            B.ethernet(vlanTags: [(0x8100, 10)], etherType: B.etherTypeIPv4, payload: udp4),
        ]
        let r = try CaptureHarness.run(frames)
        #expect(r.flows.count == 2)
        #expect(r.flows.first { $0.vlan == 10 }?.packets == 2)
    }

    @Test(arguments: [[UInt32(16)], [100, 200, 300], [1, 2, 3, 4, 5, 6]])
    func mplsStacks(_ labels: [UInt32]) throws {
        try expectUDP4(CaptureHarness.run([B.ethernet(etherType: B.etherTypeMPLS, payload: B.mpls(labels: labels, payload: udp4))]))
        try expectTCP6(CaptureHarness.run([B.ethernet(etherType: B.etherTypeMPLSMulticast, payload: B.mpls(labels: labels, payload: tcp6))]))
    }

    @Test func mplsUnderVLANAndPseudowire() throws {
        try expectUDP4(CaptureHarness.run([B.ethernet(vlanTags: [(0x8100, 7)], etherType: B.etherTypeMPLS,
                                                      payload: B.mpls(labels: [42], payload: udp4))]), vlan: 7)
        // An Ethernet pseudowire with a control word (first nibble 0) is not IP.
        let pseudowire = B.mpls(labels: [42], payload: [0, 0, 0, 0] + B.ethernet(etherType: B.etherTypeIPv4, payload: udp4))
        let r = try CaptureHarness.run([B.ethernet(etherType: B.etherTypeMPLS, payload: pseudowire)])
        #expect(r.statistics.nonIP == 1 && r.flows.isEmpty)
    }

    @Test func linuxCookedV1() throws {
        try expectUDP4(CaptureHarness.run([B.linuxSLL(protocol: B.etherTypeIPv4, payload: udp4)], linkType: PcapWriter.linuxSLL))
        try expectTCP6(CaptureHarness.run([B.linuxSLL(protocol: B.etherTypeIPv6, payload: tcp6)], linkType: PcapWriter.linuxSLL))
        let arp = try CaptureHarness.run([B.linuxSLL(protocol: B.etherTypeARP, payload: [UInt8](repeating: 0, count: 28))],
                                         linkType: PcapWriter.linuxSLL)
        #expect(arp.statistics.nonIP == 1)
    }

    @Test func linuxCookedV2() throws {
        try expectUDP4(CaptureHarness.run([B.linuxSLL2(protocol: B.etherTypeIPv4, payload: udp4)], linkType: PcapWriter.linuxSLL2))
        try expectTCP6(CaptureHarness.run([B.linuxSLL2(protocol: B.etherTypeIPv6, payload: tcp6)], linkType: PcapWriter.linuxSLL2))
    }

    @Test(arguments: [PcapWriter.raw, PcapWriter.ipv4, PcapWriter.ipv6])
    func rawIP(_ linkType: UInt32) throws {
        if linkType != PcapWriter.ipv6 { try expectUDP4(CaptureHarness.run([udp4], linkType: linkType)) }
        if linkType != PcapWriter.ipv4 { try expectTCP6(CaptureHarness.run([tcp6], linkType: linkType)) }
    }

    @Test func bsdLoopbackNull() throws {
        try expectUDP4(CaptureHarness.run([B.null(family: B.familyInet, littleEndian: true, payload: udp4)], linkType: PcapWriter.null))
        try expectUDP4(CaptureHarness.run([B.null(family: B.familyInet, littleEndian: false, payload: udp4)], linkType: PcapWriter.null))
        for family in [B.familyInet6Linux, B.familyInet6BSD, B.familyInet6FreeBSD, B.familyInet6Darwin] {
            for littleEndian in [true, false] {
                try expectTCP6(CaptureHarness.run([B.null(family: family, littleEndian: littleEndian, payload: tcp6)], linkType: PcapWriter.null))
            }
        }
        let other = try CaptureHarness.run([B.null(family: 7, payload: udp4)], linkType: PcapWriter.null)
        #expect(other.statistics.nonIP == 1)
    }

    @Test func openBSDLoopback() throws {
        try expectUDP4(CaptureHarness.run([B.loop(family: B.familyInet, payload: udp4)], linkType: PcapWriter.loop))
        try expectTCP6(CaptureHarness.run([B.loop(family: B.familyInet6BSD, payload: tcp6)], linkType: PcapWriter.loop))
    }

    @Test func unsupportedLinkTypeIsRefusedWithTheFileName() throws {
        var writer = PcapWriter(linkType: 105)  // IEEE 802.11
        writer.append([1, 2, 3], at: CaptureHarness.base)
        let path = CaptureHarness.temporaryPath("wifi.pcap")
        try writer.write(to: path)
        var capture = FlowCapture()
        var sink = CollectingFlowSink()
        let source = try PacketSource(offlinePath: path)
        #expect(!source.linkType.isSupported)
        let error = #expect(throws: FlowlogError.self) { try capture.run(source, into: &sink) }
        #expect(error?.code == .unsupportedFormat)
        #expect(error?.location?.file == path)
    }
}
