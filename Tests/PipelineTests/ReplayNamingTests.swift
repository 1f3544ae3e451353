import Capture
import FlowCore
import FlowTestSupport
import Foundation
import Pipeline
import Testing

/// `dest_domains` in replay: DNS answers reach the deciding thread beside the flows, in stream
/// order, so a flow's names depend on the capture alone, never on how far the capture thread ran
/// ahead of the thread that names and stores flows.
@Suite struct ReplayNamingTests {
    static let resolver = IPAddress("10.96.0.10")!
    static let t0: UInt64 = 1_700_000_000_000_000_000
    static let second: UInt64 = 1_000_000_000

    static func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "flowlog-naming-\(getpid())-\(UUID().uuidString)-\(name)"
    }

    static func dnsResponse(to client: IPAddress, name: String, address: IPAddress, ttl: UInt32, port: UInt16 = 40000) -> [UInt8] {
        let message = DNSMessageBuilder.response(question: name, answers: [.a(name, address, ttl: ttl)])
        return PacketBuilder.ethernetIP(source: resolver, destination: client, protocol: .udp,
                                        transport: PacketBuilder.udp(sourcePort: 53, destinationPort: port, payload: message))
    }

    static func tcp(_ source: IPAddress, _ destination: IPAddress, _ sourcePort: UInt16, _ destinationPort: UInt16,
                    _ flags: TCPFlags) -> [UInt8] {
        PacketBuilder.ethernetIP(source: source, destination: destination, protocol: .tcp,
                                 transport: PacketBuilder.tcp(sourcePort: sourcePort, destinationPort: destinationPort, flags: flags))
    }

    struct Run {
        var flows: [AnnotatedFlow]
        var result: ReplayPipeline.Result
        /// Every segment file's bytes after its header (which holds the creation time).
        var segments: [String: Data]
    }

    /// An output that sleeps now and then, so the capture thread runs far ahead of it.
    struct SlowCollectingSink: AnnotatedFlowSink {
        var inner = CollectingFlowSink()
        let pauseEvery: Int
        var batches = 0
        mutating func accept(_ batch: inout [AnnotatedFlow]) {
            batches += 1
            if pauseEvery > 0 && batches % pauseEvery == 0 { usleep(2_000) }
            inner.accept(&batch)
        }
    }

    static func replay(_ capture: String, ringCapacity: Int, batchSize: Int, pauseEvery: Int,
                       cache: FlowCacheConfiguration = FlowCacheConfiguration()) throws -> Run {
        let data = temporaryPath("store")
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ReplayPipeline.Configuration(files: [capture])
        configuration.dataDirectory = data
        configuration.ringCapacity = ringCapacity
        configuration.batchSize = batchSize
        configuration.cache = cache
        var output = SlowCollectingSink(pauseEvery: pauseEvery)
        let result = try ReplayPipeline.run(configuration, output: &output)
        var segments: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: data) where name.hasSuffix(".seg") {
            segments[name] = try Data(contentsOf: URL(fileURLWithPath: data + "/" + name)).dropFirst(32)
        }
        return Run(flows: output.inner.annotated, result: result, segments: segments)
    }

    static func write(_ frames: [(UInt64, [UInt8])], _ name: String) throws -> String {
        var writer = PcapWriter(linkType: PcapWriter.ethernet, precision: .nanoseconds)
        for (time, frame) in frames { writer.append(frame, at: Timestamp(nanoseconds: time)) }
        let path = temporaryPath(name)
        try writer.write(to: path)
        return path
    }

    /// The case that depended on timing before: a client's connection ends, the client resolves
    /// the name again, and only then is the connection emitted (after the teardown linger). The
    /// re-resolution must not hide the answer the connection was made with; an answer first seen
    /// after a flow's end must not name it.
    @Test func aReResolutionAfterAFlowsEndDoesNotHideTheAnswerBeforeIt() throws {
        let client = IPAddress("10.0.1.10")!, late = IPAddress("10.0.1.11")!, server = IPAddress("192.0.2.80")!
        let t0 = Self.t0, s = Self.second
        let frames: [(UInt64, [UInt8])] = [
            (t0, Self.dnsResponse(to: client, name: "api.example.com", address: server, ttl: 300)),
            (t0 + s, Self.tcp(client, server, 41000, 443, [.syn])),
            (t0 + s + 1_000, Self.tcp(server, client, 443, 41000, [.syn, .ack])),
            (t0 + s + 2_000, Self.tcp(client, server, 41000, 443, [.fin, .ack])),
            (t0 + s + 3_000, Self.tcp(server, client, 443, 41000, [.fin, .ack])),
            // Another client's connection, before it ever resolved the name.
            (t0 + 2 * s, Self.tcp(late, server, 42000, 443, [.syn])),
            (t0 + 2 * s + 1_000, Self.tcp(late, server, 42000, 443, [.rst])),
            // Both re-resolve while the connections wait out the teardown linger (2 s).
            (t0 + 3 * s, Self.dnsResponse(to: client, name: "api.example.com", address: server, ttl: 300)),
            (t0 + 3 * s, Self.dnsResponse(to: late, name: "api.example.com", address: server, ttl: 300)),
            (t0 + 60 * s, Self.tcp(client, server, 41001, 443, [.syn])),
        ]
        let capture = try Self.write(frames, "reresolve.pcap")
        defer { try? FileManager.default.removeItem(atPath: capture) }
        for (ring, batch, pause) in [(1 << 16, 1024, 1), (1, 1, 0)] {
            let run = try Self.replay(capture, ringCapacity: ring, batchSize: batch, pauseEvery: pause)
            let first = try #require(run.flows.first { $0.flow.sourcePort == 41000 })
            #expect(first.destinationDomains.names == ["api.example.com"], "ring \(ring)")
            let other = try #require(run.flows.first { $0.flow.sourceAddress == late })
            // `late` resolved only after its connection: no name of its own, and no one else's
            // answer was live for it either... except `client`'s, which was: the node's names.
            #expect(other.destinationDomains.names == ["api.example.com"])
            let second = try #require(run.flows.first { $0.flow.sourcePort == 41001 })
            #expect(second.destinationDomains.names == ["api.example.com"])
        }
    }

    /// Random DNS churn (re-resolutions, gaps, more than 16 clients for one address, short TTLs)
    /// among random connections, replayed with the capture thread far ahead (a big ring, a slow
    /// output) and in lock step (one slot, batches of one): the same flows, names and store bytes.
    @Test func replaysWithDifferentThreadTimingStoreTheSameBytes() throws {
        var rng = SplitMix64(seed: 0xD0D0)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        let clients = (0..<24).map { IPAddress(ipv4: 0x0A00_0100 + UInt32($0)) }
        let servers = (0..<6).map { IPAddress(ipv4: 0xC000_0200 + UInt32($0)) }
        let names = ["a.example.com", "b.example.org", "c.example.net", "d.example.io"]
        var frames: [(UInt64, [UInt8])] = []
        var time = Self.t0
        var port: UInt16 = 30000
        for _ in 0..<3_000 {
            time += UInt64(1 + below(400)) * 1_000_000
            let client = clients[below(clients.count)], server = servers[below(servers.count)]
            if below(3) == 0 {
                frames.append((time, Self.dnsResponse(to: client, name: names[below(names.count)], address: server,
                                                      ttl: UInt32(below(8)), port: UInt16(40000 + below(100)))))
            } else {
                port = port == 60000 ? 30000 : port + 1
                frames.append((time, Self.tcp(client, server, port, 443, [.syn])))
                frames.append((time + 1_000, Self.tcp(server, client, 443, port, [.syn, .ack])))
                let end = time + UInt64(below(3_000)) * 1_000_000
                frames.append((end, Self.tcp(client, server, port, 443, [.rst])))
            }
        }
        frames.sort { $0.0 < $1.0 }
        let capture = try Self.write(frames, "churn.pcap")
        defer { try? FileManager.default.removeItem(atPath: capture) }
        let cache = FlowCacheConfiguration(idleTimeoutSeconds: 5, activeTimeoutSeconds: 30, teardownLingerSeconds: 1)
        let ahead = try Self.replay(capture, ringCapacity: 1 << 16, batchSize: 1024, pauseEvery: 1, cache: cache)
        let lockstep = try Self.replay(capture, ringCapacity: 1, batchSize: 1, pauseEvery: 0, cache: cache)
        let small = try Self.replay(capture, ringCapacity: 8, batchSize: 3, pauseEvery: 7, cache: cache)
        #expect(ahead.flows.count > 1_500)
        let named = ahead.flows.filter { !$0.destinationDomains.isEmpty }.count
        #expect(named > 200 && named < ahead.flows.count, "\(named) of \(ahead.flows.count) flows named")
        func differing(_ a: Run, _ b: Run) -> Int {
            a.flows.count == b.flows.count ? zip(a.flows, b.flows).filter { $0 != $1 }.count : max(a.flows.count, b.flows.count)
        }
        #expect(differing(ahead, lockstep) == 0, "flows or names differ")
        #expect(differing(ahead, small) == 0, "flows or names differ")
        #expect(!ahead.segments.isEmpty)
        #expect(ahead.segments == lockstep.segments, "stored bytes differ")
        #expect(ahead.segments == small.segments, "stored bytes differ")
        // The timing really differed: the capture thread ran ahead in one run only.
        #expect(ahead.result.ring.maxOccupancy > 8)
        #expect(lockstep.result.ring.maxOccupancy <= 1)
    }
}
