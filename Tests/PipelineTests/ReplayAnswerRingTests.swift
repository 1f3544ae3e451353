import Capture
import FlowCore
import FlowTestSupport
import Foundation
import Pipeline
import Testing

/// The replay's DNS answers wait in a ring of their own beside the flows. While the deciding
/// thread is busy elsewhere (loading a large cluster) it takes neither, and a capture full of
/// DNS answers must not stop for a full answer ring while the flow ring has room: the large
/// cluster's capture stopped for 0.2 s of its 0.4 s that way.
@Suite struct ReplayAnswerRingTests {
    /// An output that stalls on its first batch, as the deciding thread does while it loads.
    struct StallingSink: AnnotatedFlowSink {
        var inner = CollectingFlowSink()
        var stalled = false
        mutating func accept(_ batch: inout [AnnotatedFlow]) {
            if !stalled {
                stalled = true
                usleep(300_000)
            }
            inner.accept(&batch)
        }
    }

    /// Random connections among random DNS answers (more answers than flows, as a resolver's
    /// node sees), replayed with the deciding thread stalled at the start and with it never
    /// stalled, at ring sizes from the smallest to the default: the capture thread never waits
    /// for the answer ring while the flow ring has room, and every run stores the same bytes.
    @Test(arguments: [1 << 10, 1 << 12, 1 << 14])
    func aStalledConsumerDoesNotStopTheCaptureForAnswers(ringCapacity: Int) throws {
        var rng = SplitMix64(seed: UInt64(ringCapacity) &* 0x9E37_79B9)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        let clients = (0..<32).map { IPAddress(ipv4: 0x0A00_0200 + UInt32($0)) }
        let servers = (0..<8).map { IPAddress(ipv4: 0xC000_0200 + UInt32($0)) }
        var frames: [(UInt64, [UInt8])] = []
        var time = ReplayNamingTests.t0
        var port: UInt16 = 30000
        // Answers up to a third of the flow ring's slots: the agent's sizing (a sixteenth)
        // fills up long before the flows do.
        let answers = ringCapacity / 3
        var written = 0
        while written < answers {
            time += UInt64(1 + below(50)) * 1_000_000
            let client = clients[below(clients.count)], server = servers[below(servers.count)]
            if below(4) != 0 {
                frames.append((time, ReplayNamingTests.dnsResponse(to: client, name: "n\(below(64)).example.com", address: server,
                                                                  ttl: UInt32(1 + below(30)), port: UInt16(40000 + below(1000)))))
                written += 1
            } else {
                port = port == 60000 ? 30000 : port + 1
                frames.append((time, ReplayNamingTests.tcp(client, server, port, 443, [.syn])))
                frames.append((time + 1_000, ReplayNamingTests.tcp(server, client, 443, port, [.syn, .ack])))
                frames.append((time + 2_000, ReplayNamingTests.tcp(client, server, port, 443, [.rst])))
            }
        }
        let capture = try ReplayNamingTests.write(frames, "answers-\(ringCapacity).pcap")
        defer { try? FileManager.default.removeItem(atPath: capture) }

        func replay(stalling: Bool, ring: Int) throws -> (ReplayPipeline.Result, [AnnotatedFlow], [String: Data]) {
            let data = ReplayNamingTests.temporaryPath("answers-store")
            defer { try? FileManager.default.removeItem(atPath: data) }
            var configuration = ReplayPipeline.Configuration(files: [capture])
            configuration.dataDirectory = data
            configuration.ringCapacity = ring
            configuration.batchSize = 64
            var output = StallingSink(stalled: !stalling)
            let result = try ReplayPipeline.run(configuration, output: &output)
            var segments: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: data) where name.hasSuffix(".seg") {
                segments[name] = try Data(contentsOf: URL(fileURLWithPath: data + "/" + name)).dropFirst(32)
            }
            return (result, output.inner.annotated, segments)
        }
        let (stalled, stalledFlows, stalledStore) = try replay(stalling: true, ring: ringCapacity)
        #expect(stalled.answers.pushed == UInt64(answers))
        #expect(stalled.ring.producerWaits == 0, "the flow ring had room")
        #expect(stalled.answers.producerWaits == 0, "the capture waited for the answer ring: \(stalled.answers)")
        // The stall was real: the capture thread ran ahead with most answers waiting.
        #expect(stalled.answers.maxOccupancy > answers / 2)
        let (free, freeFlows, freeStore) = try replay(stalling: false, ring: 1)
        #expect(!stalledFlows.isEmpty)
        #expect(stalledFlows == freeFlows, "flows or names differ")
        #expect(!stalledStore.isEmpty)
        #expect(stalledStore == freeStore, "stored bytes differ")
        #expect(free.answers.pushed == UInt64(answers))
    }
}
