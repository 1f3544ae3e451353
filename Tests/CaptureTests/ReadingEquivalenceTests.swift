@testable import Capture
import FlowCore
import FlowTestSupport
import Foundation
import Testing

/// Packets are read with `pcap_dispatch` (no copy out of a live handle's kernel ring, a few
/// hundred packets per call); `pcap_next_ex`, one at a time, is the plain reference. Both loops
/// must account every packet the same way: random captures run
/// through each must give identical flow records (in the same order), statistics and DNS
/// answers, and end with the same error where the file is damaged.
struct ReadingEquivalenceTests {
    typealias B = PacketBuilder

    struct Outcome: Equatable {
        var flows: [FlowRecord]
        var statistics: CaptureStatistics
        var error: String?
        /// The DNS answers handed on, with their places among the flows.
        var resolutions: [AddressResolution]
    }

    func run(_ path: String, reading: FlowCapture.Reading, cache: FlowCacheConfiguration, batchSize: Int) throws -> Outcome {
        var capture = FlowCapture(cache: cache, batchSize: batchSize)
        capture.reading = reading
        capture.observeDNS()
        var sink = CollectingFlowSink()
        var error: String?
        do {
            try capture.run(PacketSource(offlinePath: path), into: &sink)
        } catch let failure as FlowlogError {
            error = "\(failure)"
        }
        capture.finish(into: &sink)
        return Outcome(flows: sink.flows, statistics: capture.statistics, error: error, resolutions: sink.resolutions)
    }

    /// A random frame between a few hosts: TCP with random flags, UDP (some of it DNS answers),
    /// ICMP echo, IPv4 and IPv6, now and then ARP or a frame cut inside its headers.
    func randomFrame(_ random: inout SplitMix64) -> [UInt8] {
        let hosts4 = (1...6).map { IPAddress("10.0.0.\($0)")! }
        let hosts6 = (1...4).map { IPAddress("fd00::\($0)")! }
        let v6 = random.next() % 5 == 0
        let hosts = v6 ? hosts6 : hosts4
        let a = hosts[Int(random.next() % UInt64(hosts.count))]
        let b = hosts[Int(random.next() % UInt64(hosts.count))]
        let ports: [UInt16] = [53, 80, 443, 8080, 40000, 40001]
        let sp = ports[Int(random.next() % 6)], dp = ports[Int(random.next() % 6)]
        let frame: [UInt8]
        switch random.next() % 10 {
        case 0...4:
            let flags = TCPFlags(rawValue: UInt8(truncatingIfNeeded: random.next()) & 0x1F)
            frame = B.ethernetIP(source: a, destination: b, protocol: .tcp, transport: B.tcp(sourcePort: sp, destinationPort: dp, flags: flags))
        case 5, 6:
            var payload: [UInt8] = []
            if sp == 53 {
                payload = DNSMessageBuilder.response(question: "svc\(random.next() % 4).example",
                                                     answers: [.a("svc.example", hosts4[Int(random.next() % 6)], ttl: 30)])
            }
            frame = B.ethernetIP(source: a, destination: b, protocol: .udp, transport: B.udp(sourcePort: sp, destinationPort: dp, payload: payload))
        case 7:
            frame = B.ethernetIP(source: a, destination: b, protocol: v6 ? .icmpv6 : .icmp,
                                 transport: B.icmp(type: v6 ? 128 : 8, code: 0, identifier: UInt16(random.next() % 3)))
        case 8:
            frame = B.ethernet(etherType: 0x0806, payload: [UInt8](repeating: 0, count: 28))
        default:
            let whole = B.ethernetIP(source: a, destination: b, protocol: .udp, transport: B.udp(sourcePort: sp, destinationPort: dp))
            frame = Array(whole.prefix(14 + Int(random.next() % 20)))
        }
        return frame
    }

    /// Writes a random capture; returns its path.
    func randomCapture(_ random: inout SplitMix64, packets: Int) throws -> String {
        var writer = PcapWriter(linkType: PcapWriter.ethernet, precision: random.next() % 2 == 0 ? .nanoseconds : .microseconds)
        var time = CaptureHarness.base.nanoseconds
        for _ in 0..<packets {
            // Mostly close together, sometimes long pauses, so flows expire mid-file.
            time += random.next() % 20 == 0 ? random.next() % 40_000_000_000 : random.next() % 50_000_000
            writer.append(randomFrame(&random), at: Timestamp(nanoseconds: time))
        }
        let path = CaptureHarness.temporaryPath("reading.pcap")
        try writer.write(to: path)
        return path
    }

    func randomCache(_ random: inout SplitMix64) -> FlowCacheConfiguration {
        FlowCacheConfiguration(idleTimeoutNanoseconds: 1_000_000_000 + random.next() % 20_000_000_000,
                               activeTimeoutNanoseconds: random.next() % 3 == 0 ? 0 : 5_000_000_000 + random.next() % 60_000_000_000,
                               tcpTeardown: random.next() % 2 == 0 ? .close : .ignore,
                               teardownLingerNanoseconds: random.next() % 2_000_000_000,
                               capacity: random.next() % 3 == 0 ? 8 + Int(random.next() % 40) : 100_000)
    }

    @Test func bothLoopsGiveTheSameFlowsOnRandomCaptures() throws {
        var random = SplitMix64(seed: 0x5EED_D15A)
        for _ in 0..<40 {
            let path = try randomCapture(&random, packets: 200 + Int(random.next() % 2_000))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let cache = randomCache(&random)
            let batch = 1 + Int(random.next() % 600)
            let plain = try run(path, reading: .oneAtATime, cache: cache, batchSize: batch)
            let dispatched = try run(path, reading: .dispatching, cache: cache, batchSize: batch)
            #expect(plain.error == nil)
            #expect(!plain.flows.isEmpty)
            #expect(plain == dispatched)
        }
    }

    @Test func bothLoopsStopAtTheSameDamage() throws {
        var random = SplitMix64(seed: 0xC07_0FF)
        for _ in 0..<30 {
            let path = try randomCapture(&random, packets: 50 + Int(random.next() % 400))
            defer { try? FileManager.default.removeItem(atPath: path) }
            // Cut the file anywhere after its header: mid-record header or mid-packet.
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            bytes.removeLast(1 + Int(random.next() % UInt64(min(bytes.count - 25, 3_000))))
            try writeFile(path, bytes)
            let cache = randomCache(&random)
            let plain = try run(path, reading: .oneAtATime, cache: cache, batchSize: 32)
            let dispatched = try run(path, reading: .dispatching, cache: cache, batchSize: 32)
            #expect(plain == dispatched)
        }
    }

    @Test func bothLoopsStopAtTheSameUnrepresentableTimestamp() throws {
        var random = SplitMix64(seed: 0x7135)
        for _ in 0..<10 {
            var writer = PcapngWriter()
            let eth = writer.addInterface(linkType: PcapWriter.ethernet)
            let count = 5 + Int(random.next() % 600), bad = Int(random.next() % UInt64(count))
            for i in 0..<count {
                if i == bad {
                    writer.append(randomFrame(&random), interface: eth, rawTimestamp: 0xFFFF_FFFF_0000_0000)
                } else {
                    writer.append(randomFrame(&random), interface: eth,
                                  at: Timestamp(nanoseconds: CaptureHarness.base.nanoseconds + UInt64(i) * 1_000_000))
                }
            }
            let path = CaptureHarness.temporaryPath("stamp.pcapng")
            try writer.write(to: path)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let plain = try run(path, reading: .oneAtATime, cache: CaptureHarness.noExpiry, batchSize: 16)
            let dispatched = try run(path, reading: .dispatching, cache: CaptureHarness.noExpiry, batchSize: 16)
            #expect(plain.error?.contains("packet \(bad + 1): timestamp") == true)
            #expect(plain == dispatched)
        }
    }
}
