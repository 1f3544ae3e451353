import Capture
import FlowCore
import Testing

/// Every public capture in Fixtures/ against two independent references, measured once:
///
/// - `pcaplimit -f -b FILE` (a small C program over libpcap with its own decoder and a
///   bidirectional 5-tuple table): packets, captured and wire bytes, flows, non-IP, truncated.
/// - `tshark -q -z conv,tcp -z conv,udp` (TCP and UDP conversations) plus `-z io,stat,0`
///   (frames and bytes); flows of other protocols counted by hand from `tshark -Y`.
///
/// The references never time flows out, so these runs use a cache where nothing expires
/// (`CaptureHarness.noExpiry`): every flow is one record. Differences are explained per file.
struct FixtureReferenceTests {
    struct Expected: Sendable, CustomStringConvertible {
        var file: String
        var packets: UInt64
        var capturedBytes: UInt64
        var wireBytes: UInt64
        var flows: UInt64
        var nonIP: UInt64
        var malformed: UInt64
        /// The file ends mid-record; libpcap reports it after this many packets.
        var truncated: Bool
        var description: String { file }
    }

    static let expected: [Expected] = [
        // pcaplimit: 92 packets, 18436/18436 bytes, 26 flows, 2 non-IP, read error after 92.
        // tshark: 92 frames, 18436 bytes; 9 TCP + 17 UDP conversations.
        Expected(file: "derived-wikipedia-cut-20000.pcap", packets: 92, capturedBytes: 18436, wireBytes: 18436,
                 flows: 26, nonIP: 2, malformed: 0, truncated: true),
        // pcaplimit: 1 packet (197 of 524501 bytes captured: its record claims a huge original
        // length), 0 flows, 1 non-IP, then a truncated record header. tshark: no conversations.
        Expected(file: "ndpi-fuzz-2021-10-13-truncated.pcap", packets: 1, capturedBytes: 197, wireBytes: 524_501,
                 flows: 0, nonIP: 1, malformed: 0, truncated: true),
        // pcaplimit: 3905 packets, 578418/578474 bytes, 760 flows, 22 non-IP, 1 truncated
        // (frame 1 has 4 captured bytes, shorter than an Ethernet header).
        // tshark: 3905 frames; 137 TCP + 613 UDP conversations = 750, plus 10 flows of other
        // protocols (5 ICMP, 4 ICMPv6, 1 IGMP: `tshark -Y "not tcp and not udp"`) = 760.
        Expected(file: "ndpi-gnutella.pcap", packets: 3905, capturedBytes: 578_418, wireBytes: 578_474,
                 flows: 760, nonIP: 22, malformed: 1, truncated: false),
        // pcaplimit: 699 packets, 374435 bytes, 64 flows. tshark: 60 TCP + 4 UDP conversations.
        Expected(file: "ndpi-sites.pcapng", packets: 699, capturedBytes: 374_435, wireBytes: 374_435,
                 flows: 64, nonIP: 0, malformed: 0, truncated: false),
        // pcaplimit: 3 packets, 220 bytes, 1 flow. tshark: 1 TCP conversation.
        Expected(file: "tcpdump-tcp-handshake-nano.pcap", packets: 3, capturedBytes: 220, wireBytes: 220,
                 flows: 1, nonIP: 0, malformed: 0, truncated: false),
        // pcaplimit: 6 packets, 552 bytes, 4 flows, 2 non-IP (ARP, RARP). We count 2 flows:
        // pcaplimit keys ICMP by type/code, so each echo request and its reply are 2 flows
        // there; here the echo identifier pairs them (1 ICMP + 1 ICMPv6 echo flow).
        Expected(file: "zeek-linux_dlt_sll2.pcap", packets: 6, capturedBytes: 552, wireBytes: 552,
                 flows: 2, nonIP: 2, malformed: 0, truncated: false),
        // pcaplimit: 5 packets, 856 bytes, 2 flows, 1 non-IP. tshark: 2 UDP conversations,
        // all inside 802.1ad 13 / 802.1Q 10.
        Expected(file: "zeek-q-in-q.pcap", packets: 5, capturedBytes: 856, wireBytes: 856,
                 flows: 2, nonIP: 1, malformed: 0, truncated: false),
        // pcaplimit: 136 packets, 25260 bytes, 34 flows, 10 non-IP. tshark: 10 TCP + 24 UDP.
        Expected(file: "zeek-wikipedia.pcap", packets: 136, capturedBytes: 25260, wireBytes: 25260,
                 flows: 34, nonIP: 10, malformed: 0, truncated: false),
    ]

    @Test(arguments: FixtureReferenceTests.expected)
    func countsMatchReferences(_ e: Expected) throws {
        var capture = FlowCapture(cache: CaptureHarness.noExpiry)
        var sink = CollectingFlowSink()
        let source = try PacketSource(offlinePath: CaptureHarness.fixture(e.file))
        var thrown: FlowlogError?
        do {
            try capture.run(source, into: &sink)
        } catch let error as FlowlogError {
            thrown = error
        }
        capture.finish(into: &sink)
        let s = capture.statistics
        #expect(s.packets == e.packets)
        #expect(s.capturedBytes == e.capturedBytes)
        #expect(s.wireBytes == e.wireBytes)
        #expect(UInt64(sink.flows.count) == e.flows)
        #expect(s.flowsEmitted == e.flows)
        #expect(s.nonIP == e.nonIP)
        #expect(s.malformed.total == e.malformed)
        #expect(s.ipPackets + s.nonIP + s.malformed.total == s.packets)
        // Every IP packet is in exactly one flow, in one direction or the other.
        #expect(sink.flows.reduce(0) { $0 + $1.packets } == s.ipPackets)
        if e.truncated {
            #expect(thrown?.code == .truncated)
            #expect(thrown?.location?.file?.hasSuffix(e.file) == true)
            #expect(s.readErrors.count == 1)
        } else {
            #expect(thrown == nil)
        }
    }

    @Test func nanosecondTimestampsAndTheHandshakeInitiator() throws {
        let r = try CaptureHarness.run(file: CaptureHarness.fixture("tcpdump-tcp-handshake-nano.pcap"))
        let flow = try #require(r.flows.first)
        // tshark: frame.time_epoch 1418145369.924505488 … 1418145370.052115157.
        #expect(flow.start == Timestamp(seconds: 1_418_145_369, nanoseconds: 924_505_488))
        #expect(flow.end == Timestamp(seconds: 1_418_145_370, nanoseconds: 52_115_157))
        #expect(flow.sourceAddress == CaptureHarness.v4("131.155.215.69"))
        #expect(flow.sourcePort == 46656)
        #expect(flow.destinationPort == 80)
        #expect(flow.packetsOut == 2 && flow.packetsIn == 1)
        #expect(flow.tcpFlagsOut == [.syn, .ack] && flow.tcpFlagsIn == [.syn, .ack])
        #expect(flow.status.contains(.startObserved))
        #expect(!flow.status.contains(.endObserved))
    }

    @Test func qinqFlowsCarryBothVLANIds() throws {
        let r = try CaptureHarness.run(file: CaptureHarness.fixture("zeek-q-in-q.pcap"))
        #expect(r.flows.count == 2)
        for flow in r.flows {
            #expect(flow.vlan == 13)
            #expect(flow.innerVLAN == 10)
        }
    }

    @Test func linuxSLL2EchoFlows() throws {
        let r = try CaptureHarness.run(file: CaptureHarness.fixture("zeek-linux_dlt_sll2.pcap"))
        let v4 = try #require(r.flows.first { $0.ipProtocol == .icmp })
        let v6 = try #require(r.flows.first { $0.ipProtocol == .icmpv6 })
        // Echo request and reply to itself: identifiers 8 and 9 (tshark icmp.ident).
        #expect(v4.sourcePort == 8 && v4.packets == 2)
        #expect(v6.sourcePort == 9 && v6.packets == 2)
        #expect(v6.icmpType == 128)
    }

    @Test func defaultTimeoutsSplitTheLongCapture() throws {
        // The gnutella capture spans 600 s; with the default 60 s idle timeout, flows that
        // pause longer come out as several records, but no packet is lost or counted twice.
        let r = try CaptureHarness.run(file: CaptureHarness.fixture("ndpi-gnutella.pcap"), cache: FlowCacheConfiguration())
        #expect(r.flows.count > 760)
        #expect(r.flows.reduce(0) { $0 + $1.packets } == r.statistics.ipPackets)
        #expect(r.statistics.cache.expiredIdle > 0)
    }
}
