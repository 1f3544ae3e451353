import Capture
import FlowCore
import FlowTestSupport
import Foundation
import Testing

/// Classic pcap in both byte orders and precisions, pcapng with several interfaces, and the
/// errors for files libpcap cannot read.
struct FileFormatTests {
    typealias B = PacketBuilder
    let frame = B.ethernetIP(source: IPAddress("192.0.2.1")!, destination: IPAddress("192.0.2.2")!, protocol: .udp,
                             transport: B.udp(sourcePort: 1000, destinationPort: 2000, payload: [1, 2, 3]))
    let time = Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789)

    @Test(arguments: [(PcapWriter.Precision.microseconds, false), (.microseconds, true), (.nanoseconds, false), (.nanoseconds, true)])
    func classicPcap(_ precision: PcapWriter.Precision, _ bigEndian: Bool) throws {
        var writer = PcapWriter(precision: precision, bigEndian: bigEndian)
        writer.append(frame, at: time)
        writer.append(frame, at: Timestamp(nanoseconds: time.nanoseconds + 1_000))
        let path = CaptureHarness.temporaryPath("classic.pcap")
        try writer.write(to: path)
        let r = try CaptureHarness.run(file: path)
        let f = try #require(r.flows.first)
        let expectedStart = precision == .nanoseconds ? time : Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_000)
        #expect(f.start == expectedStart)
        #expect(f.end.nanoseconds - f.start.nanoseconds == (precision == .nanoseconds ? 1_000 : 1_000))
        #expect(r.statistics.packets == 2 && r.statistics.wireBytes == UInt64(2 * frame.count))
    }

    @Test func snaplenCutFramesKeepTheirWireLength() throws {
        var writer = PcapWriter(snaplen: 40)
        writer.append(frame, at: time)
        let path = CaptureHarness.temporaryPath("snap.pcap")
        try writer.write(to: path)
        let r = try CaptureHarness.run(file: path)
        #expect(r.statistics.capturedBytes == 40)
        #expect(r.statistics.malformed.total == 0)
        #expect(r.statistics.wireBytes == UInt64(frame.count))
        #expect(r.flows.first?.bytesOut == UInt64(frame.count))
    }

    @Test func pcapngWithSeveralInterfaces() throws {
        var writer = PcapngWriter()
        let eth0 = writer.addInterface(linkType: PcapWriter.ethernet, name: "eth0")
        let eth1 = writer.addInterface(linkType: PcapWriter.ethernet, nanoseconds: true, name: "eth1")
        writer.append(frame, interface: eth0, at: time)
        writer.append(frame, interface: eth1, at: Timestamp(nanoseconds: time.nanoseconds + 5))
        let other = B.ethernetIP(source: IPAddress("2001:db8::1")!, destination: IPAddress("2001:db8::2")!, protocol: .icmpv6,
                                 transport: B.icmp(type: 128, code: 0, identifier: 77))
        writer.append(other, interface: eth1, at: Timestamp(nanoseconds: time.nanoseconds + 9))
        let path = CaptureHarness.temporaryPath("multi.pcapng")
        try writer.write(to: path)
        let r = try CaptureHarness.run(file: path)
        #expect(r.statistics.packets == 3)
        #expect(r.flows.count == 2)
        let udp = try #require(r.flows.first { $0.ipProtocol == .udp })
        #expect(udp.packets == 2)
        #expect(udp.start == Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_000))  // eth0 is µs
        #expect(udp.end == Timestamp(nanoseconds: time.nanoseconds + 5))                    // eth1 is ns
        #expect(r.flows.first { $0.ipProtocol == .icmpv6 }?.sourcePort == 77)
    }

    /// libpcap (1.10) reads pcapng only when every interface has the first one's link type;
    /// for a file mixing them it stops at the odd interface's description block. The
    /// packets before it are kept and the error names the file and gives libpcap's reason.
    @Test func pcapngWithMixedLinkTypesReportsLibpcapsReason() throws {
        var writer = PcapngWriter()
        let eth = writer.addInterface(linkType: PcapWriter.ethernet)
        writer.append(frame, interface: eth, at: time)
        let raw = writer.addInterface(linkType: PcapWriter.raw)
        writer.append(Array(frame.dropFirst(14)), interface: raw, at: time)
        let path = CaptureHarness.temporaryPath("mixed.pcapng")
        try writer.write(to: path)
        var capture = FlowCapture(cache: CaptureHarness.noExpiry)
        var sink = CollectingFlowSink()
        var failure: FlowlogError?
        do {
            try capture.run(PacketSource(offlinePath: path), into: &sink)
        } catch let error as FlowlogError {
            failure = error
        }
        capture.finish(into: &sink)
        let error = try #require(failure)
        #expect(error.location?.file == path)
        #expect(error.message.contains("different from the type of the first interface"))
        #expect(error.code == .corrupt)
        #expect(capture.statistics.packets == 1 && sink.flows.count == 1)
    }

    @Test func missingFile() {
        let path = CaptureHarness.temporaryPath("absent.pcap")
        let error = #expect(throws: FlowlogError.self) { try PacketSource(offlinePath: path) }
        #expect(error?.code == .fileNotFound)
        #expect(error?.description.contains(path) == true)
    }

    @Test func notACaptureFile() throws {
        let path = CaptureHarness.temporaryPath("text.pcap")
        try writeFile(path, Array("this is not a capture file at all\n".utf8))
        let error = #expect(throws: FlowlogError.self) { try PacketSource(offlinePath: path) }
        #expect(error?.code == .unsupportedFormat)
        #expect(error?.location?.file == path)
        // Said in the user's terms, with libpcap's own words kept as detail.
        #expect(error?.message.hasPrefix("not a capture file") == true)
        #expect(error?.message.contains("74 68 69 73") == true)
        #expect(error?.message.contains("(libpcap: ") == true)
    }

    @Test func emptyAndShortFilesSaySo() throws {
        let empty = CaptureHarness.temporaryPath("empty.pcap")
        try writeFile(empty, [])
        let e = #expect(throws: FlowlogError.self) { try PacketSource(offlinePath: empty) }
        #expect(e?.message.hasPrefix("empty file") == true)
        #expect(e?.code == .truncated)
        let short = CaptureHarness.temporaryPath("short.pcap")
        try writeFile(short, [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0])
        let s = #expect(throws: FlowlogError.self) { try PacketSource(offlinePath: short) }
        #expect(s?.message.contains("8 bytes") == true)
        #expect(s?.code == .truncated)
    }

    @Test func directoryIsRefused() {
        let error = #expect(throws: FlowlogError.self) { try PacketSource(offlinePath: CaptureHarness.directory) }
        #expect(error?.code == .invalidArgument)
    }

    @Test func truncatedFileKeepsEverythingBefore() throws {
        var writer = PcapWriter()
        for i in 0..<10 { writer.append(frame, at: Timestamp(nanoseconds: time.nanoseconds + UInt64(i) * 1000)) }
        let path = CaptureHarness.temporaryPath("cut.pcap")
        try writeFile(path, Array(writer.bytes.dropLast(5)))
        var capture = FlowCapture(cache: CaptureHarness.noExpiry)
        var sink = CollectingFlowSink()
        let error = #expect(throws: FlowlogError.self) { try capture.run(PacketSource(offlinePath: path), into: &sink) }
        #expect(error?.code == .truncated)
        #expect(error?.location?.offset != nil)
        #expect(capture.statistics.packets == 9)
        // The next file goes on through the same cache; the flow continues.
        var more = PcapWriter()
        more.append(frame, at: Timestamp(nanoseconds: time.nanoseconds + 20_000))
        let next = CaptureHarness.temporaryPath("next.pcap")
        try more.write(to: next)
        try capture.run(PacketSource(offlinePath: next), into: &sink)
        capture.finish(into: &sink)
        #expect(sink.flows.count == 1 && sink.flows[0].packets == 10)
        #expect(capture.statistics.sources == 2 && capture.statistics.readErrors.count == 1)
    }
}
