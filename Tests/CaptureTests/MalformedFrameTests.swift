import Capture
import FlowCore
import FlowTestSupport
import Testing

/// Cut and impossible frames are counted by reason, never accounted to a flow, never fatal.
struct MalformedFrameTests {
    typealias B = PacketBuilder
    static let a = IPAddress("10.1.0.1")!, b = IPAddress("10.1.0.2")!

    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var frame: [UInt8]
        var linkType: UInt32 = PcapWriter.ethernet
        var reason: MalformedReason
    }

    static let tcp4 = B.ipv4(source: a, destination: b, protocol: .tcp, payload: B.tcp(sourcePort: 1, destinationPort: 2, flags: .syn))
    static let ip6 = B.ipv6(source: IPAddress("fd00::1")!, destination: IPAddress("fd00::2")!, protocol: .udp,
                            payload: B.udp(sourcePort: 1, destinationPort: 2))

    static func eth(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] { B.ethernet(etherType: type, payload: payload) }

    static let cases: [Case] = {
        var c: [Case] = []
        c.append(Case(description: "short Ethernet", frame: Array(repeating: 0, count: 10), reason: .linkHeaderTruncated))
        c.append(Case(description: "empty frame", frame: [], reason: .linkHeaderTruncated))
        c.append(Case(description: "cut VLAN tag", frame: Array(eth(0x8100, [0, 5])), reason: .vlanTagTruncated))
        c.append(Case(description: "MPLS without bottom of stack", frame: eth(B.etherTypeMPLS, [0, 1, 0, 64]), reason: .mplsTruncated))
        c.append(Case(description: "MPLS with nothing after it", frame: eth(B.etherTypeMPLS, [0, 1, 1, 64]), reason: .mplsTruncated))
        c.append(Case(description: "19 bytes of IPv4", frame: eth(B.etherTypeIPv4, Array(tcp4.prefix(19))), reason: .ipv4HeaderTruncated))
        var ihl4 = tcp4; ihl4[0] = 0x44
        c.append(Case(description: "IPv4 IHL 4", frame: eth(B.etherTypeIPv4, ihl4), reason: .ipv4HeaderInvalid))
        var v5 = tcp4; v5[0] = 0x55
        c.append(Case(description: "version 5 in an IPv4 frame", frame: eth(B.etherTypeIPv4, v5), reason: .ipv4HeaderInvalid))
        var shortTotal = tcp4; shortTotal[2] = 0; shortTotal[3] = 10
        c.append(Case(description: "IPv4 total length below header", frame: eth(B.etherTypeIPv4, shortTotal), reason: .ipv4HeaderInvalid))
        let withOptions = B.ipv4(source: a, destination: b, protocol: .udp, payload: [], options: Array(repeating: 1, count: 12))
        c.append(Case(description: "IPv4 options cut", frame: eth(B.etherTypeIPv4, Array(withOptions.prefix(26))), reason: .ipv4HeaderTruncated))
        c.append(Case(description: "39 bytes of IPv6", frame: eth(B.etherTypeIPv6, Array(ip6.prefix(39))), reason: .ipv6HeaderTruncated))
        var v4in6 = ip6; v4in6[0] = 0x40
        c.append(Case(description: "version 4 in an IPv6 frame", frame: eth(B.etherTypeIPv6, v4in6), reason: .ipv6HeaderInvalid))
        let hopByHop = B.ipv6(source: a, destination: b, protocol: .udp, payload: [],
                              extensionHeaders: [(0, B.ipv6OptionsHeader(lengthUnits: 0))])
        c.append(Case(description: "hop-by-hop cut", frame: eth(B.etherTypeIPv6, Array(hopByHop.prefix(44))), reason: .ipv6ExtensionTruncated))
        let longHeader = B.ipv6(source: a, destination: b, protocol: .udp, payload: [],
                                extensionHeaders: [(60, B.ipv6OptionsHeader(lengthUnits: 0))])
        var claimsMore = longHeader; claimsMore[41] = 10  // says 88 bytes, has 8
        c.append(Case(description: "destination options longer than the frame", frame: eth(B.etherTypeIPv6, claimsMore), reason: .ipv6ExtensionTruncated))
        let chain = B.ipv6(source: a, destination: b, protocol: .udp, payload: B.udp(sourcePort: 1, destinationPort: 2),
                           extensionHeaders: Array(repeating: (60, B.ipv6OptionsHeader()), count: 20))
        c.append(Case(description: "20 chained destination options", frame: eth(B.etherTypeIPv6, chain), reason: .ipv6ExtensionChainTooLong))
        c.append(Case(description: "raw IP version 5", frame: [0x50] + Array(tcp4.dropFirst()), linkType: PcapWriter.raw, reason: .ipVersionInvalid))
        c.append(Case(description: "TCP header cut before flags", frame: eth(B.etherTypeIPv4, Array(tcp4.prefix(20 + 13))), reason: .transportHeaderTruncated))
        let udp = B.ipv4(source: a, destination: b, protocol: .udp, payload: [0, 1])
        c.append(Case(description: "UDP ports cut", frame: eth(B.etherTypeIPv4, udp), reason: .transportHeaderTruncated))
        let echo = B.ipv4(source: a, destination: b, protocol: .icmp, payload: [8, 0, 0, 0])
        c.append(Case(description: "ICMP echo without identifier", frame: eth(B.etherTypeIPv4, echo), reason: .transportHeaderTruncated))
        c.append(Case(description: "short SLL", frame: Array(repeating: 0, count: 15), linkType: PcapWriter.linuxSLL, reason: .linkHeaderTruncated))
        c.append(Case(description: "short SLL2", frame: Array(repeating: 0, count: 19), linkType: PcapWriter.linuxSLL2, reason: .linkHeaderTruncated))
        c.append(Case(description: "short NULL", frame: [2, 0, 0], linkType: PcapWriter.null, reason: .linkHeaderTruncated))
        c.append(Case(description: "empty raw", frame: [], linkType: PcapWriter.raw, reason: .linkHeaderTruncated))
        return c
    }()

    @Test(arguments: MalformedFrameTests.cases)
    func countedByReason(_ c: Case) throws {
        let good = c.linkType == PcapWriter.ethernet ? MalformedFrameTests.eth(B.etherTypeIPv4, MalformedFrameTests.tcp4) : nil
        let frames = [c.frame] + (good.map { [$0] } ?? [])
        let r = try CaptureHarness.run(frames, linkType: c.linkType)
        #expect(r.statistics.malformed[c.reason] == 1)
        #expect(r.statistics.malformed.total == 1)
        #expect(r.flows.count == (good == nil ? 0 : 1))
        #expect(r.statistics.packets == UInt64(frames.count))
    }

    /// Every prefix of every valid frame, and deterministic random corruptions of them, on
    /// every link type: each frame is counted exactly once as IP, non-IP or malformed.
    @Test func everyPrefixAndCorruptionIsAccountedFor() throws {
        let udp = B.ipv4(source: Self.a, destination: Self.b, protocol: .udp, payload: B.udp(sourcePort: 1, destinationPort: 2),
                         options: [1, 1, 1, 1])
        let ext = B.ipv6(source: IPAddress("fd00::1")!, destination: IPAddress("fd00::2")!, protocol: .tcp,
                         payload: B.tcp(sourcePort: 3, destinationPort: 4, flags: .ack),
                         extensionHeaders: [(0, B.ipv6OptionsHeader(lengthUnits: 1)), (44, B.ipv6FragmentHeader(offset: 0, moreFragments: true))])
        let valid: [(UInt32, [UInt8])] = [
            (PcapWriter.ethernet, B.ethernet(vlanTags: [(0x88A8, 1), (0x8100, 2)], etherType: B.etherTypeMPLS, payload: B.mpls(labels: [1, 2], payload: udp))),
            (PcapWriter.ethernet, B.ethernet(etherType: B.etherTypeIPv6, payload: ext)),
            (PcapWriter.linuxSLL, B.linuxSLL(protocol: B.etherTypeIPv4, payload: udp)),
            (PcapWriter.linuxSLL2, B.linuxSLL2(protocol: B.etherTypeIPv6, payload: ext)),
            (PcapWriter.null, B.null(family: 30, payload: ext)),
            (PcapWriter.loop, B.loop(family: 2, payload: udp)),
            (PcapWriter.raw, ext),
        ]
        var seed: UInt64 = 0x1234_5678
        func random() -> UInt64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return seed >> 33
        }
        for (linkType, frame) in valid {
            var frames: [[UInt8]] = (0...frame.count).map { Array(frame.prefix($0)) }
            for _ in 0..<300 {
                var mutated = frame
                for _ in 0..<(1 + random() % 4) {
                    mutated[Int(random() % UInt64(mutated.count))] = UInt8(truncatingIfNeeded: random())
                }
                frames.append(Array(mutated.prefix(Int(random() % UInt64(mutated.count + 1)))))
            }
            let r = try CaptureHarness.run(frames, linkType: linkType)
            let s = r.statistics
            #expect(s.packets == UInt64(frames.count))
            #expect(s.ipPackets + s.nonIP + s.malformed.total == s.packets)
            #expect(r.flows.reduce(0) { $0 + $1.packets } == s.ipPackets)
            #expect(s.malformed.total > 0)
        }
    }
}
