@testable import Capture
import FlowCore
import FlowTestSupport
import Foundation
import Testing

/// Classic pcap files are read where they lie (mapped, or in memory), and libpcap reads on from
/// the first record that reader leaves. Random captures, valid and damaged, in both byte orders
/// and precisions, with odd snapshot lengths, time stamps and lengths, must come out of the
/// in-place reader exactly as out of libpcap's dispatching loop: the same flows, statistics,
/// DNS answers, error text, progress reports, and the same hand-overs to the sink.
struct InPlaceReadingTests {
    struct Outcome: Equatable {
        var flows: [FlowRecord]
        var statistics: CaptureStatistics
        var error: String?
        var resolutions: [AddressResolution]
        /// The size of every batch handed to the sink, in order.
        var handOvers: [Int]
        /// Packets, file offset, wire bytes and flows in the cache at every progress report.
        var progress: [[UInt64]]

        /// What differs from `other`, briefly, for the failure message.
        func difference(from other: Outcome) -> String {
            var parts: [String] = []
            if flows != other.flows { parts.append("flows \(flows.count) against \(other.flows.count)") }
            if statistics != other.statistics { parts.append("statistics \(statistics) against \(other.statistics)") }
            if error != other.error { parts.append("error \(error ?? "none") against \(other.error ?? "none")") }
            if resolutions != other.resolutions { parts.append("answers \(resolutions.count) against \(other.resolutions.count)") }
            if handOvers != other.handOvers { parts.append("hand-overs \(handOvers) against \(other.handOvers)") }
            if progress != other.progress { parts.append("progress \(progress) against \(other.progress)") }
            return parts.joined(separator: "; ")
        }
    }

    /// Records every batch's size beside what it collects.
    struct RecordingSink: FlowSink {
        var collected = CollectingFlowSink()
        var handOvers: [Int] = []
        mutating func accept(_ batch: inout [FlowRecord]) {
            handOvers.append(batch.count)
            collected.accept(&batch)
        }
        mutating func accept(_ batch: inout [FlowRecord], resolutions: inout [AddressResolution]) {
            handOvers.append(batch.count)
            collected.accept(&batch, resolutions: &resolutions)
        }
    }

    struct Setting {
        var cache: FlowCacheConfiguration
        var batchSize: Int
        var progressInterval: UInt64
    }

    /// Runs `source` through a fresh capture; `opened` is the source's own error, if any.
    func run(_ open: () throws -> PacketSource, reading: FlowCapture.Reading, _ setting: Setting) -> (Outcome, PacketSource?) {
        var capture = FlowCapture(cache: setting.cache, batchSize: setting.batchSize)
        capture.reading = reading
        capture.progressInterval = setting.progressInterval
        capture.observeDNS()
        var sink = RecordingSink()
        var error: String?
        var progress: [[UInt64]] = []
        var opened: PacketSource?
        do {
            let source = try open()
            opened = source
            try capture.run(source, into: &sink) { p in
                progress.append([p.packets, p.fileOffset ?? .max, p.wireBytes, UInt64(p.activeFlows), p.evictions])
            }
        } catch let thrown {
            error = "\(thrown)"
        }
        capture.finish(into: &sink)
        return (Outcome(flows: sink.collected.flows, statistics: capture.statistics, error: error,
                        resolutions: sink.collected.resolutions, handOvers: sink.handOvers, progress: progress), opened)
    }

    /// A random classic pcap: the bytes, and where the in-place reader must stop (nil when the
    /// file is not one it reads, or damage makes the place unknown in advance).
    struct RandomCapture {
        var bytes: [UInt8]
        var expectedStop: Int?
    }

    func randomCapture(_ random: inout SplitMix64) -> RandomCapture {
        let bigEndian = random.next() % 2 == 0
        let nanoseconds = random.next() % 2 == 0
        let minor: UInt16 = random.next() % 10 == 0 ? [2, 3][Int(random.next() % 2)] : 4
        let snaplens: [UInt32] = [0, 64, 96, 200, 1500, 65535, 262_144, 300_000]
        let snaplen = random.next() % 2 == 0 ? 262_144 : snaplens[Int(random.next() % UInt64(snaplens.count))]
        let linkTypes: [UInt32] = [1, 1, 1, 1, 1, 1, 1, 1, 101, 0x1000_0001, 147]
        let linkType = linkTypes[Int(random.next() % UInt64(linkTypes.count))]
        var bytes: [UInt8] = []
        func put16(_ v: UInt16) { bytes += bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func put32(_ v: UInt32) {
            let b = (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) }
            bytes += bigEndian ? b.reversed() : b
        }
        put32(nanoseconds ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        put16(2); put16(minor)
        put32(0); put32(0); put32(snaplen); put32(linkType)
        let limit = Int(snaplen == 0 ? 262_144 : min(snaplen, 262_144))
        var expectedStop: Int?
        var recordStarts: [Int] = []
        let frames = ReadingEquivalenceTests()
        var seconds: UInt32 = 1_700_000_000
        let count = Int(random.next() % 1_200)
        for _ in 0..<count {
            recordStarts.append(bytes.count)
            var frame = frames.randomFrame(&random)
            if random.next() % 40 == 0 { frame += [UInt8](repeating: 0xAB, count: 300 + Int(random.next() % 2_000)) }
            seconds &+= UInt32(random.next() % 3)
            let stamp = random.next() % 50 == 0 ? UInt32(truncatingIfNeeded: random.next()) : seconds
            let fraction = random.next() % 50 == 0 ? UInt32(truncatingIfNeeded: random.next())
                : UInt32(random.next() % (nanoseconds ? 1_000_000_000 : 1_000_000))
            // Mostly cut to the snapshot length as a writer would; sometimes longer than it.
            let caplen = random.next() % 4 == 0 ? frame.count : min(frame.count, limit)
            if caplen > limit && expectedStop == nil { expectedStop = bytes.count }
            let wire: UInt32 = random.next() % 30 == 0 ? UInt32(random.next() % 100) : UInt32(frame.count)
            put32(stamp); put32(fraction); put32(UInt32(caplen)); put32(wire)
            bytes += frame.prefix(caplen)
        }
        if expectedStop == nil { expectedStop = bytes.count }
        switch random.next() % 10 {
        case 0, 1:
            // Cut anywhere after the file header: inside a record header or a frame.
            let whole = bytes.count
            let cut = 24 + Int(random.next() % UInt64(whole - 23))
            bytes.removeLast(whole - cut)
            // The reader stops at the record the cut falls in, or at the cut between two.
            let between = cut == 24 || cut == whole || recordStarts.contains(cut)
            expectedStop = min(expectedStop!, between ? cut : recordStarts.last { $0 < cut } ?? 24)
        case 2 where !recordStarts.isEmpty:
            // A damaged caplen: huge, or just past the snapshot length.
            let at = recordStarts[Int(random.next() % UInt64(recordStarts.count))]
            let value = random.next() % 2 == 0 ? UInt32(truncatingIfNeeded: random.next()) : UInt32(limit + 1)
            let field = (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) }
            bytes.replaceSubrange((at + 8)..<(at + 12), with: bigEndian ? field.reversed() : field)
            expectedStop = nil
        case 3:
            // Random bytes anywhere after the file header.
            for _ in 0..<(1 + random.next() % 8) where bytes.count > 24 {
                bytes[24 + Int(random.next() % UInt64(bytes.count - 24))] = UInt8(truncatingIfNeeded: random.next())
            }
            expectedStop = nil
        case 4:
            // A few bytes of a record header that never finishes.
            bytes += (0..<(1 + random.next() % 15)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        default:
            break
        }
        if minor != 4 || linkType == 147 { expectedStop = nil }
        return RandomCapture(bytes: bytes, expectedStop: expectedStop)
    }

    func randomSetting(_ random: inout SplitMix64) -> Setting {
        Setting(cache: FlowCacheConfiguration(idleTimeoutNanoseconds: 1_000_000_000 + random.next() % 20_000_000_000,
                                              activeTimeoutNanoseconds: random.next() % 3 == 0 ? 0 : 5_000_000_000 + random.next() % 60_000_000_000,
                                              tcpTeardown: random.next() % 2 == 0 ? .close : .ignore,
                                              capacity: random.next() % 3 == 0 ? 8 + Int(random.next() % 40) : 100_000),
                batchSize: 1 + Int(random.next() % 600),
                progressInterval: random.next() % 2 == 0 ? 1 + random.next() % 700 : 1 << 16)
    }

    @Test func inPlaceReadingMatchesLibpcapOnRandomFiles() throws {
        var random = SplitMix64(seed: 0x1A9_1ACE)
        var readInPlace = 0
        for round in 0..<160 {
            let capture = randomCapture(&random)
            let setting = randomSetting(&random)
            let path = CaptureHarness.temporaryPath("in-place-\(round).pcap")
            try writeFile(path, capture.bytes)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let (libpcap, _) = run({ try PacketSource(offlinePath: path) }, reading: .dispatching, setting)
            let (inPlace, source) = run({ try PacketSource(offlinePath: path) }, reading: .inPlace, setting)
            #expect(inPlace == libpcap, "round \(round): \(inPlace.difference(from: libpcap))")
            if let expected = capture.expectedStop, let source {
                #expect(source.inPlaceStopOffset == expected, "round \(round): stopped at \(source.inPlaceStopOffset ?? -1)")
                if expected > 24 { readInPlace += 1 }
            }
        }
        // Most files were read in place, at least in part.
        #expect(readInPlace > 60)
    }

    @Test func inPlaceReadingMatchesLibpcapInMemory() throws {
        var random = SplitMix64(seed: 0x3E30_4E)
        for round in 0..<60 {
            let capture = randomCapture(&random)
            let setting = randomSetting(&random)
            let (libpcap, _) = run({ try PacketSource(captureBytes: capture.bytes, name: "memory.pcap") }, reading: .dispatching, setting)
            let (inPlace, source) = run({ try PacketSource(captureBytes: capture.bytes, name: "memory.pcap") }, reading: .inPlace, setting)
            #expect(inPlace == libpcap, "round \(round): \(inPlace.difference(from: libpcap))")
            if let expected = capture.expectedStop, let source {
                #expect(source.inPlaceStopOffset == expected, "round \(round)")
            }
        }
    }

    /// pcapng and standard-input-like sources are libpcap's alone.
    @Test func pcapngIsReadByLibpcap() throws {
        var writer = PcapngWriter()
        let eth = writer.addInterface(linkType: PcapWriter.ethernet)
        var random = SplitMix64(seed: 7)
        for i in 0..<50 {
            writer.append(ReadingEquivalenceTests().randomFrame(&random), interface: eth,
                          at: Timestamp(nanoseconds: CaptureHarness.base.nanoseconds + UInt64(i) * 1_000_000))
        }
        let path = CaptureHarness.temporaryPath("libpcap.pcapng")
        try writer.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try PacketSource(offlinePath: path)
        #expect(source.inPlaceRecords == nil)
        let setting = Setting(cache: CaptureHarness.noExpiry, batchSize: 16, progressInterval: 1 << 16)
        let (libpcap, _) = run({ try PacketSource(offlinePath: path) }, reading: .dispatching, setting)
        let (inPlace, _) = run({ try PacketSource(offlinePath: path) }, reading: .inPlace, setting)
        #expect(libpcap.statistics.packets == 50)
        #expect(inPlace == libpcap)
    }

    /// A `breakLoop()` before reading stops the in-place reader as it stops libpcap.
    @Test func breakLoopStopsTheInPlaceReader() throws {
        var writer = PcapWriter()
        var random = SplitMix64(seed: 11)
        for i in 0..<600 {
            writer.append(ReadingEquivalenceTests().randomFrame(&random),
                          at: Timestamp(nanoseconds: CaptureHarness.base.nanoseconds + UInt64(i) * 1_000_000))
        }
        let path = CaptureHarness.temporaryPath("break.pcap")
        try writer.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try PacketSource(offlinePath: path)
        #expect(source.inPlaceRecords != nil)
        source.breakLoop()
        var capture = FlowCapture(cache: CaptureHarness.noExpiry)
        var sink = CollectingFlowSink()
        try capture.run(source, into: &sink)
        #expect(capture.statistics.packets == 0)
    }
}
