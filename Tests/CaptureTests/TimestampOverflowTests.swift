@testable import Capture
import FlowCore
import FlowTestSupport
import Foundation
import Testing

/// pcapng time stamps are a 64-bit count of the interface's units (`if_tsresol`); scaled to
/// nanoseconds they can exceed what a `Timestamp` holds. Such a packet ends its file with a
/// `.corrupt` error, like a read error: everything before it is kept, the next file goes on.
struct TimestampOverflowTests {
    typealias B = PacketBuilder
    let frame = B.ethernetIP(source: IPAddress("192.0.2.1")!, destination: IPAddress("192.0.2.2")!, protocol: .udp,
                             transport: B.udp(sourcePort: 1000, destinationPort: 2000, payload: [1, 2, 3]))
    let other = B.ethernetIP(source: IPAddress("192.0.2.3")!, destination: IPAddress("192.0.2.4")!, protocol: .udp,
                             transport: B.udp(sourcePort: 1001, destinationPort: 2001, payload: [4]))

    /// Runs `bytes` as a pcapng file; returns the error, the statistics and the flows.
    func run(_ bytes: [UInt8]) throws -> (FlowlogError?, CaptureStatistics, [FlowRecord]) {
        let path = CaptureHarness.temporaryPath("stamp.pcapng")
        try writeFile(path, bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var capture = FlowCapture(cache: CaptureHarness.noExpiry)
        var sink = CollectingFlowSink()
        var failure: FlowlogError?
        do {
            try capture.run(PacketSource(offlinePath: path), into: &sink)
        } catch let error as FlowlogError {
            failure = error
        }
        capture.finish(into: &sink)
        return (failure, capture.statistics, sink.flows)
    }

    @Test func highWordAllOnesEndsTheFileAndKeepsWhatCameBefore() throws {
        var writer = PcapngWriter()
        let eth = writer.addInterface(linkType: PcapWriter.ethernet)
        writer.append(frame, interface: eth, at: CaptureHarness.base)
        writer.append(other, interface: eth, rawTimestamp: 0xFFFF_FFFF_0000_0000)
        writer.append(frame, interface: eth, at: CaptureHarness.base)
        let (error, statistics, flows) = try run(writer.bytes)
        let failure = try #require(error)
        #expect(failure.code == .corrupt)
        #expect(failure.message.contains("packet 2: timestamp"))
        #expect(failure.message.contains("everything before was kept"))
        #expect(failure.location?.field == "packet timestamp")
        #expect(failure.location?.file != nil)
        #expect(statistics.packets == 1 && statistics.readErrors.count == 1)
        #expect(flows.count == 1 && flows[0].destinationPort == 2000)
    }

    @Test func secondsResolutionWithALargeCountIsRejected() throws {
        var writer = PcapngWriter()
        let eth = writer.addInterface(linkType: PcapWriter.ethernet, timestampResolution: 0)
        writer.append(frame, interface: eth, rawTimestamp: 1_700_000_000)
        writer.append(other, interface: eth, rawTimestamp: 1 << 40)
        let (error, statistics, flows) = try run(writer.bytes)
        #expect(error?.code == .corrupt)
        #expect(statistics.packets == 1)
        #expect(flows.count == 1 && flows[0].start == Timestamp(seconds: 1_700_000_000, nanoseconds: 0))
    }

    @Test func theLatestRepresentableSecondStillReads() throws {
        var writer = PcapngWriter()
        let eth = writer.addInterface(linkType: PcapWriter.ethernet, timestampResolution: 0)
        let lastSecond = Timestamp.latest.nanoseconds / 1_000_000_000
        writer.append(frame, interface: eth, rawTimestamp: lastSecond)
        let (error, statistics, flows) = try run(writer.bytes)
        #expect(error == nil)
        #expect(statistics.packets == 1)
        #expect(flows.first?.start == Timestamp(seconds: lastSecond, nanoseconds: 0))
    }

    @Test func conversionIsChecked() {
        #expect(FlowCapture.nanoseconds(seconds: 1, fraction: 5, fractionScale: 1000) == 1_000_005_000)
        #expect(FlowCapture.nanoseconds(seconds: Int.max, fraction: 0, fractionScale: 1) == nil)
        #expect(FlowCapture.nanoseconds(seconds: 18_446_744_073, fraction: 709_551_615, fractionScale: 1) == UInt64.max)
        #expect(FlowCapture.nanoseconds(seconds: 18_446_744_073, fraction: 709_551_616, fractionScale: 1) == nil)
        #expect(FlowCapture.nanoseconds(seconds: -5, fraction: -1, fractionScale: 1000) == 0)
    }
}
