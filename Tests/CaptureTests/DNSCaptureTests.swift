import Capture
import FlowCore
import FlowTestSupport
import Foundation
import Testing

/// DNS observation in the capture stage: real captured traffic, UDP and TCP responses built by
/// hand, and the name cache's TTL and per-client rules.
@Suite struct DNSCaptureTests {
    private func run(file: String) throws -> (CaptureStatistics, DNSNameCache) {
        var capture = FlowCapture(cache: CaptureHarness.noExpiry)
        capture.observeDNS()
        var sink = CollectingFlowSink()
        try capture.run(PacketSource(offlinePath: file), into: &sink)
        capture.finish(into: &sink)
        let names = DNSNameCache()
        for resolution in sink.resolutions { names.record(resolution) }
        return (capture.statistics, names)
    }

    private func run(frames: [[UInt8]]) throws -> (CaptureStatistics, DNSNameCache) {
        var writer = PcapWriter(linkType: PcapWriter.ethernet, precision: .nanoseconds)
        for (i, frame) in frames.enumerated() {
            writer.append(frame, at: Timestamp(nanoseconds: CaptureHarness.base.nanoseconds + UInt64(i) * 1_000_000))
        }
        let path = CaptureHarness.temporaryPath("dns.pcap")
        try writer.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try run(file: path)
    }

    private let client = IPAddress("10.0.1.10")!, resolver = IPAddress("10.96.0.10")!
    private let t0 = CaptureHarness.base.nanoseconds

    @Test func realCaptureResolvesTheWikimediaCNAMEChain() throws {
        let (statistics, names) = try run(file: CaptureHarness.fixture("zeek-wikipedia.pcap"))
        // tshark counts 14 responses in this capture; 5 A answers (the rest AAAA-less SOA/NXDOMAIN).
        #expect(statistics.dns.responses == 14)
        #expect(statistics.dns.addressAnswers == 5)
        #expect(statistics.dns.malformed == 0 && statistics.dns.truncated == 0)
        let host = IPAddress("141.142.220.118")!
        let found = names.lookup(client: host, address: IPAddress("208.80.152.3")!, start: 0, end: .max)
        #expect(found.forClient.names == ["upload.wikimedia.org", "upload.pmtpa.wikimedia.org"])
        #expect(found.forClient.contains(matching: "*.wikimedia.org"))
        // Glue addresses of the additional section are no answers.
        #expect(names.lookup(client: host, address: IPAddress("208.80.152.130")!, start: 0, end: .max).forNode.isEmpty)
    }

    @Test func udpAndTCPResponsesAreRead() throws {
        let udp = DNSMessageBuilder.response(question: "api.example.com", answers: [.a("api.example.com", IPAddress("192.0.2.10")!, ttl: 30)])
        let tcpMessages = [
            DNSMessageBuilder.response(question: "db.example.com", questionType: 28,
                                       answers: [.aaaa("db.example.com", IPAddress("2001:db8::10")!, ttl: 30)]),
            DNSMessageBuilder.response(question: "q.example.com", answers: [.a("q.example.com", IPAddress("192.0.2.11")!, ttl: 30)]),
        ]
        // Two messages in one segment, each with its 2-byte length.
        let tcpPayload = tcpMessages.flatMap { PacketBuilder.be16(UInt16($0.count)) + $0 }
        let client6 = IPAddress("fd00::10")!, resolver6 = IPAddress("fd00::53")!
        let frames = [
            PacketBuilder.ethernetIP(source: resolver, destination: client, protocol: .udp,
                                     transport: PacketBuilder.udp(sourcePort: 53, destinationPort: 40000, payload: udp)),
            PacketBuilder.ethernetIP(source: resolver6, destination: client6, protocol: .tcp,
                                     transport: PacketBuilder.tcp(sourcePort: 53, destinationPort: 40001, flags: [.ack, .psh], payload: tcpPayload)),
            // Half a message: counted, not read.
            PacketBuilder.ethernetIP(source: resolver, destination: client, protocol: .tcp,
                                     transport: PacketBuilder.tcp(sourcePort: 53, destinationPort: 40002, flags: [.ack],
                                                                  payload: PacketBuilder.be16(200) + Array(udp.prefix(20)))),
            // Garbage from port 53.
            PacketBuilder.ethernetIP(source: resolver, destination: client, protocol: .udp,
                                     transport: PacketBuilder.udp(sourcePort: 53, destinationPort: 40003, payload: [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 9])),
            // A query to port 53 is not a response and is not looked at.
            PacketBuilder.ethernetIP(source: client, destination: resolver, protocol: .udp,
                                     transport: PacketBuilder.udp(sourcePort: 40004, destinationPort: 53, payload: DNSMessageBuilder.query(name: "x.example.com"))),
        ]
        let (statistics, names) = try run(frames: frames)
        #expect(statistics.dns.responses == 3)
        #expect(statistics.dns.addressAnswers == 3)
        #expect(statistics.dns.tcpPartial == 1)
        #expect(statistics.dns.malformed == 1)
        #expect(names.lookup(client: client, address: IPAddress("192.0.2.10")!, start: t0, end: t0 + 1_000_000_000).forClient.names == ["api.example.com"])
        #expect(names.lookup(client: client6, address: IPAddress("2001:db8::10")!, start: t0, end: t0 + 1_000_000_000).forClient.names == ["db.example.com"])
        #expect(names.lookup(client: client6, address: IPAddress("192.0.2.11")!, start: t0, end: t0 + 1_000_000_000).forClient.names == ["q.example.com"])
        // Every packet still counted towards its flow.
        #expect(statistics.ipPackets == 5)
    }

    @Test func snapLengthCutResponsesAreCounted() throws {
        let response = DNSMessageBuilder.response(question: "api.example.com", answers: [.a("api.example.com", IPAddress("192.0.2.10")!, ttl: 30)])
        var frame = PacketBuilder.ethernetIP(source: resolver, destination: client, protocol: .udp,
                                             transport: PacketBuilder.udp(sourcePort: 53, destinationPort: 40000, payload: response))
        frame.removeLast(10)
        let (statistics, names) = try run(frames: [frame])
        #expect(statistics.dns.cut == 1 && statistics.dns.responses == 0)
        #expect(names.statistics.answers == 0)
    }

    @Test func ttlWindowAndPerClientNames() {
        let cache = DNSNameCache()
        let server = IPAddress("192.0.2.80")!
        let other = IPAddress("10.0.1.99")!
        cache.record(client: client, answers: [.init(address: server, names: ["a.example.com"], ttl: 10)], at: 1_000_000_000)
        cache.record(client: other, answers: [.init(address: server, names: ["b.example.org"], ttl: 10)], at: 2_000_000_000)
        // Before the answer was seen: nothing.
        #expect(cache.lookup(client: client, address: server, start: 0, end: 500_000_000).forNode.isEmpty)
        // During the TTL: the client's own name first; the node sees both.
        let during = cache.lookup(client: client, address: server, start: 5_000_000_000, end: 6_000_000_000)
        #expect(during.forClient.names == ["a.example.com"])
        #expect(during.forNode.names == ["a.example.com", "b.example.org"])
        // A client that resolved nothing gets every client's names.
        #expect(cache.lookup(client: IPAddress("10.0.1.1")!, address: server, start: 5_000_000_000, end: 5_000_000_000).forClient.names
                == ["a.example.com", "b.example.org"])
        // A flow starting after the client's answer expired (1 s + 10 s) gets only the other's.
        let later = cache.lookup(client: client, address: server, start: 11_500_000_000, end: 12_000_000_000)
        #expect(later.forNode.names == ["b.example.org"] && later.forClient.names == ["b.example.org"])
        // Equal lists share one box (the store numbers them by it).
        #expect(during.forClient.storageIdentity == cache.lookup(client: client, address: server, start: 5_000_000_000, end: 5_000_000_001).forClient.storageIdentity)
    }

    @Test func capacityIsBounded() {
        let cache = DNSNameCache(capacity: 64)
        for i in 0..<1000 {
            cache.record(client: client, answers: [.init(address: IPAddress(ipv4: 0xC000_0200 + UInt32(i)), names: ["n\(i).example.com"], ttl: 3600)],
                         at: UInt64(i) * 1_000_000)
        }
        let s = cache.statistics
        #expect(s.answers == 1000)
        #expect(s.evicted > 0)
        // The newest answer is still there.
        #expect(!cache.lookup(client: client, address: IPAddress(ipv4: 0xC000_0200 + 999), start: 0, end: .max).forNode.isEmpty)
    }

    /// The batch lookup (one lock per few hundred flows, a shortcut when every matching answer
    /// has the same names) against the rule written out: the client's own answers' names, else
    /// every client's, and every client's for the node, over answers live during the flow.
    @Test func batchLookupsGiveWhatTheAnswersSay() {
        var rng = SplitMix64(seed: 0xD15)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        let cache = DNSNameCache()
        let clients = (0..<4).map { IPAddress(ipv4: 0x0A00_0100 + UInt32($0)) }
        let servers = (0..<12).map { IPAddress(ipv4: 0xC000_0200 + UInt32($0)) }
        let names = [["a.example.com"], ["b.example.org"], ["c.example.net", "edge.cdn.example"], ["a.example.com"]]
        // Every answer on its own: the rule says nothing of merging them.
        var recorded: [(client: IPAddress, server: IPAddress, names: [String], seen: UInt64, expires: UInt64)] = []
        for i in 0..<60 {
            let client = clients[below(clients.count)], server = servers[below(servers.count)]
            let list = names[below(names.count)], ttl = UInt32(1 + below(20)), at = UInt64(i) * 500_000_000
            cache.record(client: client, answers: [.init(address: server, names: list, ttl: ttl)], at: at)
            recorded.append((client, server, list, at, at + UInt64(ttl) * 1_000_000_000))
        }
        let flows = (0..<2_000).map { _ in
            let start = UInt64(below(40_000)) * 1_000_000
            return FlowRecord(sourceAddress: clients[below(clients.count)] , destinationAddress: servers[below(servers.count)],
                              sourcePort: 40000, destinationPort: 443, ipProtocol: .tcp,
                              start: Timestamp(nanoseconds: start), end: Timestamp(nanoseconds: start + UInt64(below(3_000)) * 1_000_000))
        }
        var found: [DNSNameCache.Lookup] = []
        cache.lookup(flows[...], appendingTo: &found)
        #expect(found.count == flows.count)
        var answered = 0, mixed = 0
        for (flow, got) in zip(flows, found) {
            let live = recorded.filter {
                $0.server == flow.destinationAddress && $0.seen <= flow.end.nanoseconds && $0.expires >= flow.start.nanoseconds
            }
            // Names of several answers in no promised order: compared as sets.
            let all = Set(live.flatMap(\.names))
            let own = Set(live.filter { $0.client == flow.sourceAddress }.flatMap(\.names))
            #expect(Set(got.forNode.names) == all)
            #expect(Set(got.forClient.names) == (own.isEmpty ? all : own))
            #expect(got.forClient == cache.lookup(client: flow.sourceAddress, address: flow.destinationAddress,
                                                  start: flow.start.nanoseconds, end: flow.end.nanoseconds).forClient)
            if !all.isEmpty { answered += 1 }
            if Set(live.map(\.names)).count > 1 { mixed += 1 }
        }
        // Both the shortcut and the general case were taken.
        #expect(answered > 100 && mixed > 20, "\(answered) answered, \(mixed) with several name lists")
    }
}
