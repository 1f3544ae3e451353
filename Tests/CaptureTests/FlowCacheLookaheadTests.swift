@testable import Capture
import FlowCore
import Testing

/// The capture folds packets into the flow cache through a short lookahead queue that
/// prefetches each lookup's memory (`FlowLookahead`); folding every packet at once with
/// `update` is the plain reference. On random traffic (many flows so the index grows and
/// probes collide, TCP flags that open, close and reset, pauses that expire flows, a small
/// capacity that evicts, and the wall-clock expiry a live capture calls in between), both must
/// emit the same records in the same order and end with the same counters and flows.
struct FlowCacheLookaheadTests {
    struct Outcome: Equatable {
        var records: [FlowRecord]
        var statistics: FlowCacheStatistics
        var count: Int
    }

    /// A random packet among `hosts` hosts; ports from a small set so flows recur.
    func randomPacket(_ random: inout SplitMix64, hosts: UInt64) -> DecodedPacket {
        var p = DecodedPacket()
        let v6 = random.next() % 8 == 0
        let a = 1 + random.next() % hosts, b = 1 + random.next() % hosts
        p.ipVersion = v6 ? 6 : 4
        p.sourceHigh = v6 ? 0xFD00_0000_0000_0000 : 0
        p.destinationHigh = p.sourceHigh
        p.sourceLow = v6 ? a : 0x0A00_0000 | a
        p.destinationLow = v6 ? b : 0x0A00_0000 | b
        switch random.next() % 10 {
        case 0...5:
            p.ipProtocol = 6
            p.tcpFlags = UInt8(truncatingIfNeeded: random.next()) & 0x17
        case 6...8:
            p.ipProtocol = 17
        default:
            p.ipProtocol = v6 ? 58 : 1
            p.icmpType = UInt8(random.next() % 4)
        }
        let ports: [UInt16] = [53, 80, 443, 5432, 40000, 40001, 40002]
        p.sourcePort = ports[Int(random.next() % UInt64(ports.count))]
        p.destinationPort = ports[Int(random.next() % UInt64(ports.count))]
        if random.next() % 16 == 0 { p.vlan = UInt16(random.next() % 3) }
        return p
    }

    struct Step {
        var packet: DecodedPacket
        var time: UInt64
        var wire: UInt32
        /// After this packet: a wall-clock expiry at this time (0: none).
        var expireAt: UInt64
    }

    func randomSteps(_ random: inout SplitMix64, count: Int, hosts: UInt64) -> [Step] {
        var time: UInt64 = 1_700_000_000_000_000_000
        var steps: [Step] = []
        for _ in 0..<count {
            // Mostly close together, sometimes a pause past the linger or the idle timeout,
            // now and then a packet stamped a little earlier than the last (clock stays put).
            switch random.next() % 200 {
            case 0: time += random.next() % 90_000_000_000
            case 1...4: time += random.next() % 5_000_000_000
            case 5: time -= min(time, random.next() % 1_000_000)
            default: time += random.next() % 2_000_000
            }
            let expireAt = random.next() % 50 == 0 ? time + random.next() % 3_000_000_000 : 0
            steps.append(Step(packet: randomPacket(&random, hosts: hosts), time: time,
                              wire: UInt32(60 + random.next() % 1400), expireAt: expireAt))
        }
        return steps
    }

    func plain(_ steps: [Step], configuration: FlowCacheConfiguration) -> Outcome {
        var cache = FlowCache(configuration: configuration)
        var records: [FlowRecord] = []
        for step in steps {
            cache.update(step.packet, time: step.time, wireLength: step.wire, into: &records)
            if step.expireAt > 0 { cache.expire(now: Timestamp(nanoseconds: step.expireAt), into: &records) }
        }
        let count = cache.count
        cache.flush(into: &records)
        return Outcome(records: records, statistics: cache.statistics, count: count)
    }

    /// The lookahead path; drains where the capture does (before any expiry from outside) and
    /// at random points besides, as `pcap_dispatch` calls end after any number of packets.
    func lookahead(_ steps: [Step], configuration: FlowCacheConfiguration, random: inout SplitMix64) -> Outcome {
        var cache = FlowCache(configuration: configuration)
        var queue = FlowLookahead()
        defer { queue.deallocate() }
        var records: [FlowRecord] = []
        for step in steps {
            cache.update(KeyedPacket(step.packet, time: step.time, wireLength: step.wire, seed: cache.hashSeed), lookahead: &queue, into: &records)
            if step.expireAt > 0 || random.next() % 97 == 0 {
                cache.drain(&queue, into: &records)
                if step.expireAt > 0 { cache.expire(now: Timestamp(nanoseconds: step.expireAt), into: &records) }
            }
        }
        cache.drain(&queue, into: &records)
        let count = cache.count
        var flushing = CollectingFlowSink()
        cache.flush(into: &records, handingOnEvery: 1 + Int(random.next() % 64), to: &flushing)
        flushing.accept(&records)
        return Outcome(records: flushing.flows, statistics: cache.statistics, count: count)
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6])
    func lookaheadFoldsPacketsAsThePlainUpdateDoes(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        // Few hosts: flows recur and collide on ports; many: the index grows to thousands.
        let hosts: UInt64 = seed % 2 == 0 ? 12 : 3000
        let steps = randomSteps(&random, count: 40_000, hosts: hosts)
        let configurations = [
            FlowCacheConfiguration(idleTimeoutSeconds: 30, activeTimeoutSeconds: 120),
            FlowCacheConfiguration(idleTimeoutSeconds: 10, activeTimeoutSeconds: 0, tcpTeardown: .close,
                                   teardownLingerSeconds: 0, capacity: 64),
            FlowCacheConfiguration(idleTimeoutSeconds: 5, activeTimeoutSeconds: 2, tcpTeardown: .ignore, capacity: 700),
        ]
        for configuration in configurations {
            let reference = plain(steps, configuration: configuration)
            var drains = SplitMix64(seed: seed &* 31)
            let fast = lookahead(steps, configuration: configuration, random: &drains)
            #expect(fast.records.count == reference.records.count)
            #expect(fast.records == reference.records)
            #expect(fast.statistics == reference.statistics)
            #expect(fast.count == reference.count)
            #expect(reference.records.count > 1000)
        }
    }

    @Test func chunkedFlushHandsOnTheSameRecordsAsOneFlush() {
        var random = SplitMix64(seed: 99)
        let steps = randomSteps(&random, count: 5000, hosts: 500)
        var whole = FlowCache(), chunked = FlowCache()
        var a: [FlowRecord] = [], b: [FlowRecord] = []
        for step in steps {
            whole.update(step.packet, time: step.time, wireLength: step.wire, into: &a)
            chunked.update(step.packet, time: step.time, wireLength: step.wire, into: &b)
        }
        a.removeAll()
        b.removeAll()
        whole.flush(into: &a)
        var sink = CollectingFlowSink()
        chunked.flush(into: &b, handingOnEvery: 10, to: &sink)
        #expect(b.count < 10)
        sink.accept(&b)
        #expect(sink.flows == a)
        #expect(a.count > 100)
        #expect(whole.count == 0 && chunked.count == 0)
        #expect(whole.statistics == chunked.statistics)
    }
}
