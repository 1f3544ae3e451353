@testable import Capture
import FlowCore
import FlowTestSupport
import Foundation
import Testing

/// The timing wheel keeps each bucket's entries in an array with vacated elements
/// (`WheelBuckets`) instead of a list linked through the entries. Two checks against the plain
/// form:
///
/// - the buckets against plain arrays that really remove what is taken out, under random
///   schedules, removals, drains (with entries moved back into the bucket being drained),
///   copies and resets: every drain and every final bucket holds the same entries in the same
///   order;
/// - the whole cache against the records the linked wheel emitted for the same random traffic
///   (`Fixtures/wheel-*.ndjson`, written by `flowlog replay --flows ndjson` of the build before
///   the change; see `referenceCapture`): the same flows, expired in the same order, with the
///   same times, counters and reasons.
struct WheelLayoutTests {
    // MARK: - Buckets against plain arrays

    @Test(arguments: [1, 2, 3, 4])
    func bucketsDrainInThePlainArraysOrder(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let bucketCount = 8
        // Arrays past 64 elements that a drain used little of are freed, so that path runs too.
        var wheel = WheelBuckets(bucketCount: bucketCount, keptCapacity: 64)
        defer { wheel.deallocate() }
        var plain = [[Int32]](repeating: [], count: bucketCount)
        /// Where each scheduled entry is: its bucket and the position `append` returned.
        var placed: [Int32: (slot: Int, position: Int32)] = [:]
        /// The scheduled entries, to pick from in an order that depends on the seed alone.
        var scheduled: [Int32] = []
        var nextEntry: Int32 = 0

        func schedule(_ entry: Int32, _ slot: Int) {
            placed[entry] = (slot, wheel.append(entry, to: slot))
            plain[slot].append(entry)
            scheduled.append(entry)
        }
        func forget(_ entry: Int32) {
            placed[entry] = nil
            scheduled.removeAll { $0 == entry }
        }
        func live(_ slot: Int) -> [Int32] {
            (0..<wheel.count(slot)).map { wheel.element(slot, at: $0) }.filter { $0 != WheelBuckets.vacant }
        }

        for _ in 0..<6_000 {
            switch random.next() % 20 {
            case 0...9:
                schedule(nextEntry, Int(random.next() % UInt64(bucketCount)))
                nextEntry += 1
            case 10...14:
                guard !scheduled.isEmpty else { continue }
                let entry = random.pick(scheduled)
                let (slot, position) = placed[entry]!
                forget(entry)
                wheel.vacate(slot, at: position)
                plain[slot].removeAll { $0 == entry }
            case 15...18:
                let slot = Int(random.next() % UInt64(bucketCount))
                wheel.beginDrain(slot)
                let expected = plain[slot]
                plain[slot] = []
                let drained = Array(wheel.draining(slot)).filter { $0 != WheelBuckets.vacant }
                #expect(drained == expected)
                for entry in drained {
                    forget(entry)
                    // Some stay, some move to any bucket, this one included.
                    if random.next() % 3 == 0 { schedule(entry, Int(random.next() % UInt64(bucketCount))) }
                }
                wheel.endDrain(slot)
            default:
                if random.next() % 8 == 0 {
                    wheel.removeAll()
                    plain = [[Int32]](repeating: [], count: bucketCount)
                    placed.removeAll()
                    scheduled.removeAll()
                } else {
                    let twin = wheel.copy()
                    wheel.deallocate()
                    wheel = twin
                }
            }
        }
        for slot in 0..<bucketCount { #expect(live(slot) == plain[slot]) }
        #expect(placed.count == plain.reduce(0) { $0 + $1.count })
    }

    // MARK: - The cache against the linked wheel's records

    struct Reference: Sendable, CustomStringConvertible {
        var name: String
        var configuration: FlowCacheConfiguration
        var hosts: UInt64
        var packets: Int
        var seed: UInt64
        /// The options `flowlog replay` was given for the fixture.
        var replayOptions: String
        var description: String { name }
    }

    static let references = [
        // A small table: eviction picks the least recently active flow from the wheel.
        Reference(name: "evicting", configuration: FlowCacheConfiguration(idleTimeoutSeconds: 10, activeTimeoutSeconds: 0,
                                                                          tcpTeardown: .close, teardownLingerSeconds: 2, capacity: 40),
                  hosts: 6, packets: 1500, seed: 7,
                  replayOptions: "--idle-timeout 10 --active-timeout 0 --tcp-teardown close --teardown-linger 2 --max-flows 40"),
        // Short timeouts: idle, teardown and active expiry, long gaps that drain every bucket.
        Reference(name: "expiring", configuration: FlowCacheConfiguration(idleTimeoutSeconds: 5, activeTimeoutSeconds: 2,
                                                                          tcpTeardown: .close, teardownLingerSeconds: 0.5),
                  hosts: 6, packets: 1500, seed: 8,
                  replayOptions: "--idle-timeout 5 --active-timeout 2 --tcp-teardown close --teardown-linger 0.5"),
    ]

    /// Random traffic as a classic pcap (nanoseconds): TCP mostly ACKs with now and then a SYN,
    /// SYN-ACK, FIN or RST, UDP, ICMP, some IPv6 and VLAN tags, ports from a small set so flows recur;
    /// packets mostly close together, sometimes a pause past the linger or every timeout,
    /// now and then one stamped a little earlier than the last.
    static func referenceCapture(_ reference: Reference) -> [UInt8] {
        var random = SplitMix64(seed: reference.seed)
        var writer = PcapWriter(linkType: PcapWriter.ethernet, precision: .nanoseconds)
        var time: UInt64 = 1_700_000_000_000_000_000
        let ports: [UInt16] = [80, 443, 40000]
        for _ in 0..<reference.packets {
            switch random.next() % 200 {
            case 0: time += random.next() % 30_000_000_000
            case 1...4: time += random.next() % 3_000_000_000
            case 5: time -= min(time, random.next() % 1_000_000)
            default: time += random.next() % 20_000_000
            }
            let v6 = random.next() % 8 == 0
            let a = 1 + random.next() % reference.hosts, b = 1 + random.next() % reference.hosts
            let source = v6 ? IPAddress(ipv6High: 0xFD00_0000_0000_0000, low: a) : IPAddress(ipv4: 0x0A00_0000 | UInt32(a))
            let destination = v6 ? IPAddress(ipv6High: 0xFD00_0000_0000_0000, low: b) : IPAddress(ipv4: 0x0A00_0000 | UInt32(b))
            let sourcePort = ports[Int(random.next() % UInt64(ports.count))]
            let destinationPort = ports[Int(random.next() % UInt64(ports.count))]
            let proto: IPProtocol
            let transport: [UInt8]
            switch random.next() % 10 {
            case 0...5:
                proto = .tcp
                let flags: TCPFlags
                switch random.next() % 40 {
                case 0...1: flags = .rst
                case 2...5: flags = [.fin, .ack]
                case 6...8: flags = .syn
                case 9: flags = [.syn, .ack]
                default: flags = .ack
                }
                transport = PacketBuilder.tcp(sourcePort: sourcePort, destinationPort: destinationPort, flags: flags)
            case 6...8:
                proto = .udp
                transport = PacketBuilder.udp(sourcePort: sourcePort, destinationPort: destinationPort)
            default:
                proto = v6 ? .icmpv6 : .icmp
                transport = PacketBuilder.icmp(type: v6 ? 128 : 8, code: UInt8(random.next() % 2))
            }
            let tags: [(tpid: UInt16, id: UInt16)] = random.next() % 16 == 0 ? [(tpid: UInt16(0x8100), id: UInt16(random.next() % 3))] : []
            let frame = PacketBuilder.ethernetIP(source: source, destination: destination, protocol: proto,
                                                 transport: transport, vlanTags: tags)
            writer.append(frame, at: Timestamp(nanoseconds: time), wireLength: frame.count + Int(random.next() % 1400))
        }
        return writer.bytes
    }

    /// To write a reference again (only ever with a build whose wheel is known good):
    /// `FLOWLOG_WHEEL_CAPTURES=DIR swift test --filter WheelLayoutTests` leaves `wheel-NAME.pcap`
    /// in DIR, then `flowlog replay DIR/wheel-NAME.pcap --flows ndjson OPTIONS >
    /// Fixtures/wheel-NAME.ndjson` with the reference's `replayOptions`.
    @Test(arguments: WheelLayoutTests.references)
    func cacheExpiresAsTheLinkedWheelDid(reference: Reference) throws {
        let capture = Self.referenceCapture(reference)
        if let directory = ProcessInfo.processInfo.environment["FLOWLOG_WHEEL_CAPTURES"] {
            try Data(capture).write(to: URL(fileURLWithPath: directory + "/wheel-\(reference.name).pcap"))
        }
        var flowCapture = FlowCapture(cache: reference.configuration, batchSize: 64)
        var sink = CollectingFlowSink()
        try flowCapture.run(PacketSource(captureBytes: capture, name: reference.name), into: &sink)
        flowCapture.finish(into: &sink)
        let lines = sink.flows.map(\.ndjsonLine)
        let expected = try String(contentsOfFile: CaptureHarness.fixture("wheel-\(reference.name).ndjson"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(lines.count == expected.count)
        let firstDifference = zip(lines, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil, "record \(firstDifference.map { $0 + 1 } ?? 0) differs")
        // The traffic does reach the paths each reference is for.
        let statistics = flowCapture.statistics.cache
        #expect(statistics.expiredIdle > 100)
        if reference.configuration.capacity < 1000 { #expect(statistics.evicted > 100) }
        if reference.configuration.activeTimeoutNanoseconds > 0 {
            #expect(statistics.expiredActive > 100 && statistics.expiredTeardown > 20)
        }
    }
}
