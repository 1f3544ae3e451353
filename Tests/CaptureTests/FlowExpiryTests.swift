import Capture
import FlowCore
import FlowTestSupport
import Testing

/// Idle, active and teardown expiry, capacity eviction and who counts as the initiator.
struct FlowExpiryTests {
    typealias B = PacketBuilder
    let client = CaptureHarness.v4("10.244.1.5"), server = CaptureHarness.v4("10.96.0.10")

    func tcp(_ fromClient: Bool, _ flags: TCPFlags, port: UInt16 = 45000) -> [UInt8] {
        fromClient
            ? B.ethernetIP(source: client, destination: server, protocol: .tcp, transport: B.tcp(sourcePort: port, destinationPort: 443, flags: flags))
            : B.ethernetIP(source: server, destination: client, protocol: .tcp, transport: B.tcp(sourcePort: 443, destinationPort: port, flags: flags))
    }

    func udp(_ fromClient: Bool = true, port: UInt16 = 53000) -> [UInt8] {
        fromClient
            ? B.ethernetIP(source: client, destination: server, protocol: .udp, transport: B.udp(sourcePort: port, destinationPort: 53))
            : B.ethernetIP(source: server, destination: client, protocol: .udp, transport: B.udp(sourcePort: 53, destinationPort: port))
    }

    func at(_ seconds: Double) -> Timestamp {
        Timestamp(nanoseconds: CaptureHarness.base.nanoseconds + UInt64(seconds * 1e9))
    }

    func config(idle: Double = 60, active: Double = 0, teardown: FlowCacheConfiguration.TCPTeardown = .close,
                linger: Double = 2, capacity: Int = 1000) -> FlowCacheConfiguration {
        FlowCacheConfiguration(idleTimeoutSeconds: idle, activeTimeoutSeconds: active, tcpTeardown: teardown,
                               teardownLingerSeconds: linger, capacity: capacity)
    }

    @Test func idleTimeoutSplitsAConversation() throws {
        let r = try CaptureHarness.run([udp(), udp(false), udp(), udp(false)], cache: config(idle: 10),
                                       times: [at(0), at(1), at(12), at(13)])
        #expect(r.flows.count == 2)
        #expect(r.flows[0].status.contains(.expiredIdle))
        #expect(r.flows[0].packets == 2 && r.flows[0].end == at(1))
        #expect(r.flows[1].status.contains(.flushed) && r.flows[1].start == at(12))
        #expect(r.flows.allSatisfy { $0.status.contains(.startObserved) })
        #expect(r.statistics.cache.expiredIdle == 1)
    }

    @Test func activeTimeoutEmitsIntervalsOfALongFlow() throws {
        let times = (0...25).map { at(Double($0)) }
        let r = try CaptureHarness.run(Array(repeating: udp(), count: times.count), cache: config(idle: 60, active: 10), times: times)
        #expect(r.flows.count == 3)
        #expect(r.flows.reduce(0) { $0 + $1.packets } == 26)
        #expect(r.flows[0].status.contains(.expiredActive) && !r.flows[0].status.contains(.continuation))
        #expect(r.flows[0].status.contains(.startObserved))
        #expect(r.flows[1].status.contains(.expiredActive) && r.flows[1].status.contains(.continuation))
        #expect(!r.flows[1].status.contains(.startObserved))
        #expect(r.flows[2].status.contains(.flushed) && r.flows[2].status.contains(.continuation))
        // Intervals do not overlap and the flow keeps its identity.
        #expect(r.flows[0].end < r.flows[1].start && r.flows[1].end < r.flows[2].start)
        #expect(Set(r.flows.map(\.sourcePort)).count == 1)
        #expect(r.statistics.cache.flowsCreated == 1)
    }

    @Test func aFlowSilentAfterItsActiveRecordEmitsNothingMore() throws {
        // Port 1 talks for 10 s, port 2 keeps the clock going; after port 1's active record
        // nothing is left to report when it idles out.
        var frames: [[UInt8]] = []
        var times: [Timestamp] = []
        for second in 0..<100 {
            if second < 10 { frames.append(udp(port: 1)); times.append(at(Double(second))) }
            frames.append(udp(port: 2))
            times.append(at(Double(second) + 0.5))
        }
        let r = try CaptureHarness.run(frames, cache: config(idle: 30, active: 10), times: times)
        let first = r.flows.filter { $0.sourcePort == 1 }
        #expect(first.count == 1)
        #expect(first.first?.packets == 10 && first.first?.status.contains(.expiredActive) == true)
        #expect(r.flows.allSatisfy { $0.packets > 0 })
        #expect(r.flows.reduce(0) { $0 + $1.packets } == UInt64(frames.count))
    }

    @Test func finBothWaysClosesAfterTheLinger() throws {
        let frames = [tcp(true, .syn), tcp(false, [.syn, .ack]), tcp(true, .ack), tcp(true, [.fin, .ack]),
                      tcp(false, .ack), tcp(false, [.fin, .ack]), tcp(true, .ack), udp()]
        let times = [at(0), at(0.1), at(0.2), at(1), at(1.1), at(1.2), at(1.3), at(10)]
        let r = try CaptureHarness.run(frames, cache: config(), times: times)
        let flow = try #require(r.flows.first { $0.ipProtocol == .tcp })
        #expect(r.flows.count == 2)
        #expect(flow.status.contains(.expiredTeardown))
        #expect(flow.status.contains(.startObserved) && flow.status.contains(.endObserved))
        #expect(flow.packets == 7)  // the last ACK came within the linger time
        #expect(flow.sourceAddress == client && flow.packetsOut == 4 && flow.packetsIn == 3)
        #expect(flow.tcpFlagsOut == [.syn, .ack, .fin] && flow.tcpFlagsIn == [.syn, .ack, .fin])
    }

    @Test func withoutLingerTheFinalACKStartsAnotherRecord() throws {
        let frames = [tcp(true, .syn), tcp(false, [.syn, .ack]), tcp(true, [.fin, .ack]), tcp(false, [.fin, .ack]), tcp(true, .ack)]
        let r = try CaptureHarness.run(frames, cache: config(linger: 0))
        #expect(r.flows.count == 2)
        #expect(r.flows[0].status.contains(.expiredTeardown) && r.flows[0].packets == 4)
        #expect(r.flows[1].packets == 1 && !r.flows[1].status.contains(.startObserved))
    }

    @Test func resetClosesTheFlow() throws {
        let frames = [tcp(true, .syn), tcp(false, [.rst, .ack]), udp()]
        let r = try CaptureHarness.run(frames, cache: config(linger: 1), times: [at(0), at(0.001), at(5)])
        let flow = try #require(r.flows.first { $0.ipProtocol == .tcp })
        #expect(flow.status.contains(.expiredTeardown) && flow.status.contains(.endObserved))
        #expect(flow.tcpFlagsIn == [.rst, .ack])
        #expect(r.statistics.cache.expiredTeardown == 1)
    }

    @Test func aNewSYNOnAClosingFlowStartsAFreshOne() throws {
        let frames = [tcp(true, .syn), tcp(false, [.rst, .ack]), tcp(true, .syn), tcp(false, [.syn, .ack])]
        let r = try CaptureHarness.run(frames, cache: config(linger: 30))
        #expect(r.flows.count == 2)
        #expect(r.flows[0].packets == 2 && r.flows[0].status.contains(.expiredTeardown))
        #expect(r.flows[1].packets == 2 && r.flows[1].status.contains(.flushed))
    }

    @Test func teardownIgnoredStillRecordsTheEnd() throws {
        let frames = [tcp(true, .syn), tcp(false, [.rst, .ack]), tcp(true, .ack)]
        let r = try CaptureHarness.run(frames, cache: config(teardown: .ignore, linger: 0))
        #expect(r.flows.count == 1)
        #expect(r.flows[0].status.contains(.flushed) && r.flows[0].status.contains(.endObserved))
    }

    @Test func capacityEvictsTheLeastRecentlyActive() throws {
        let ports: [UInt16] = [1, 2, 3, 1, 4, 5]
        let r = try CaptureHarness.run(ports.map { udp(port: $0) }, cache: config(capacity: 3))
        #expect(r.statistics.cache.evicted == 2)
        #expect(r.statistics.evictions == 2)
        let evicted = r.flows.filter { $0.status.contains(.evicted) }.map(\.sourcePort)
        #expect(evicted == [2, 3])  // port 1 was touched again before the cache filled
        #expect(r.flows.reduce(0) { $0 + $1.packets } == 6)
        #expect(r.statistics.cache.peakFlows == 3)
    }

    @Test func manyFlowsThroughASmallTableKeepTheIndexConsistent() throws {
        // Enough flows to grow the index several times, with evictions and expiries removing
        // entries from the middle of probe runs.
        var frames: [[UInt8]] = []
        var times: [Timestamp] = []
        for i in 0..<20_000 {
            frames.append(udp(port: UInt16(1 + i % 9_000)))
            times.append(at(Double(i) * 0.001 + (i >= 10_000 ? 5 : 0)))  // a pause: everything idles out
        }
        let r = try CaptureHarness.run(frames, cache: config(idle: 3, capacity: 2_000), times: times)
        #expect(r.flows.reduce(0) { $0 + $1.packets } == 20_000)
        let s = r.statistics.cache
        #expect(s.flowsCreated == UInt64(r.flows.count))
        #expect(s.evicted > 0 && s.expiredIdle > 0)
    }

    @Test func synAckSeenFirstNamesItsReceiverAsInitiator() throws {
        let r = try CaptureHarness.run([tcp(false, [.syn, .ack]), tcp(true, .ack), tcp(false, .ack)])
        let flow = try #require(r.flows.first)
        #expect(flow.sourceAddress == client && flow.sourcePort == 45000)
        #expect(flow.packetsOut == 1 && flow.packetsIn == 2)
        #expect(flow.status.contains(.startObserved))
    }

    @Test func midstreamTCPStartsWithTheFirstSenderAndNoStart() throws {
        let r = try CaptureHarness.run([tcp(false, .ack), tcp(true, .ack)])
        let flow = try #require(r.flows.first)
        #expect(flow.sourceAddress == server)
        #expect(!flow.status.contains(.startObserved))
    }

    @Test func firstSenderOfUDPIsTheSource() throws {
        let r = try CaptureHarness.run([udp(false), udp(true)])
        #expect(r.flows.first?.sourceAddress == server && r.flows.first?.sourcePort == 53)
    }
}

struct FlowCacheLayoutTests {
    @Test func anEntryIsTwoCacheLines() {
        #expect(FlowCache.bytesPerFlow.entry == 128)
    }

    @Test func copiesOfACacheAreIndependent() {
        var first = FlowCache(configuration: CaptureHarness.noExpiry)
        var second = first
        var out: [FlowRecord] = []
        first.expire(now: Timestamp(nanoseconds: 5), into: &out)
        second.flush(into: &out)
        #expect(out.isEmpty)
        #expect(first.now == Timestamp(nanoseconds: 5) && second.now == .zero)
    }
}
