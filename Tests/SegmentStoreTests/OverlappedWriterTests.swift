import FlowCore
import FlowTestSupport
import Foundation
import Testing
@testable import SegmentStore

/// The writer whose caller runs ahead of the encoder (several blocks with it, and whether a
/// block opens a segment decided by the encoder once the block before is built) against the
/// plain writer (each block encoded inline and written before the next is cut): the same
/// segment files, index and footer included, and the same manifest, byte for byte but for the
/// times of creation and sealing.
@Suite struct OverlappedWriterTests {
    /// A store's segments (sequence, every byte after the header: blocks, index, footer) in
    /// sequence order, and its manifest without the seal times.
    struct StoreImage: Equatable {
        var segments: [(sequence: UInt64, body: [UInt8])]
        var manifest: [Manifest.Entry]

        static func == (a: StoreImage, b: StoreImage) -> Bool {
            a.manifest == b.manifest && a.segments.count == b.segments.count
                && zip(a.segments, b.segments).allSatisfy { $0.sequence == $1.sequence && $0.body == $1.body }
        }
    }

    static func image(of directory: String) throws -> StoreImage {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }.sorted()
        var segments: [(UInt64, [UInt8])] = []
        for name in names {
            let bytes = try #require(FileManager.default.contents(atPath: directory + "/" + name))
            let sequence = try #require(SegmentFormat.parseFileName(name)).sequence
            segments.append((sequence, Array(bytes[SegmentFormat.segmentHeaderSize...])))
        }
        var manifest = try #require(try Manifest.load(directory: directory)).entries.sorted { $0.sequence < $1.sequence }
        for i in manifest.indices { manifest[i].sealedAt = .zero }
        return StoreImage(segments: segments, manifest: manifest)
    }

    /// One call on the writer: both writers get the same sequence.
    enum Call {
        case append(Range<Int>, taking: Bool)
        case flush
    }

    static func run(_ calls: [Call], flows: [AnnotatedFlow], directory: String, configuration: StoreConfiguration) throws
        -> (statistics: WriterStatistics, placedAtOnce: Int) {
        let writer = try SegmentWriter(directory: directory, configuration: configuration)
        for call in calls {
            switch call {
            case .append(let range, let taking):
                if taking {
                    var batch = Array(flows[range])
                    try writer.append(taking: &batch)
                } else {
                    try writer.append(Array(flows[range]))
                }
            case .flush:
                try writer.flush()
            }
        }
        try writer.close()
        return (writer.statistics, writer.blocksPlacedAtOnce)
    }

    /// Random flows, block and segment sizes (near the blocks' own, so segments roll at every
    /// kind of boundary: on a bound the encoder can decide at once, on an exact size it waits
    /// for; or a few times the blocks' bound, so blocks are placed while the one before is still
    /// being laid out on the other lane, then by exact size near the end of each segment),
    /// segment ages of 0 (every block opens a segment) and an hour, batch sizes, flushes,
    /// compression levels, format versions, catalog limits and how many blocks may stay with the
    /// encoder.
    @Test func overlappedWriterWritesWhatThePlainOneWrites() throws {
        var random = SplitMix64(seed: 0x0DE1_A7ED)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        var rolledBySize = 0, decidedByEncoder = 0, placedAtOnce = 0, largeRolled = 0
        for round in 0..<40 {
            let large = round % 4 == 0
            var generator = SyntheticFlowGenerator(seed: UInt64(700 + round), pods: 20 + pick(400), namespaces: 1 + pick(40))
            let flows = generator.generate(large ? 5_000 + pick(15_000) : 300 + pick(4_000))
            var configuration = StoreConfiguration(blockRecords: large ? 20 + pick(130) : 20 + pick(500),
                                                   segmentMaxBytes: large ? 40_000 + pick(200_000) : 3_000 + pick(40_000),
                                                   segmentMaxAge: pick(6) == 0 ? 0 : 3600,
                                                   compressionLevel: [0, 3, 9][pick(3)], encodesInBackground: false)
            configuration.formatVersion = pick(4) == 0 ? SegmentFormat.domainsVersion : SegmentFormat.version
            configuration.catalogEntryLimit = [8, 64, EncoderCatalog.defaultEntryLimit][pick(3)]
            var calls: [Call] = []
            var start = 0
            while start < flows.count {
                let size = min(flows.count - start, 1 + pick(pick(2) == 0 ? 100 : 1_500))
                calls.append(.append(start..<start + size, taking: pick(2) == 0))
                start += size
                if pick(12) == 0 { calls.append(.flush) }
            }
            let plain = TemporaryDirectory("plain"), overlapped = TemporaryDirectory("overlapped")
            defer { plain.remove(); overlapped.remove() }
            let plainStats = try Self.run(calls, flows: flows, directory: plain.path, configuration: configuration).statistics
            configuration.encodesInBackground = true
            configuration.blocksBehind = 1 + pick(6)
            let (overlappedStats, atOnce) = try Self.run(calls, flows: flows, directory: overlapped.path, configuration: configuration)
            placedAtOnce += atOnce
            let expected = try Self.image(of: plain.path)
            #expect(try Self.image(of: overlapped.path) == expected,
                    "round \(round): \(expected.segments.count) segments, blocks behind \(configuration.blocksBehind)")
            #expect(overlappedStats.flows == plainStats.flows && overlappedStats.blocks == plainStats.blocks
                        && overlappedStats.bytesWritten == plainStats.bytesWritten
                        && overlappedStats.segmentsSealed == plainStats.segmentsSealed, "round \(round)")
            #expect(try readAll(overlapped.path).0 == flows, "round \(round)")
            if configuration.segmentMaxAge > 0 && expected.segments.count > 2 { rolledBySize += 1 }
            if configuration.blocksBehind > 1 && plainStats.blocks > 3 { decidedByEncoder += 1 }
            if large && configuration.segmentMaxAge > 0 && expected.segments.count > 1 { largeRolled += 1 }
        }
        // Most rounds roll segments by size with the encoder deciding, so that path is exercised.
        #expect(rolledBySize > 15, "\(rolledBySize) rounds rolled by size")
        #expect(decidedByEncoder > 15, "\(decidedByEncoder) rounds left blocks with the encoder")
        // Blocks placed by the bound, and segments of such rounds rolled by exact size after it.
        #expect(placedAtOnce > 0, "no block placed while the one before was being laid out")
        #expect(largeRolled > 3, "\(largeRolled) rounds with large segments rolled by size")
    }

    /// With several blocks allowed behind, `append` returns before they are written, and a
    /// crash then keeps a prefix of whole blocks: what recovery finds is what was written.
    @Test func crashWithBlocksBehindLeavesAPrefixOfWholeBlocks() throws {
        var generator = SyntheticFlowGenerator(seed: 45)
        let flows = generator.generate(2_000)
        let live = TemporaryDirectory("live")
        defer { live.remove() }
        var configuration = StoreConfiguration(blockRecords: 100)
        configuration.blocksBehind = 4
        let writer = try SegmentWriter(directory: live.path, configuration: configuration)
        for start in stride(from: 0, to: 2_000, by: 150) {
            try writer.append(Array(flows[start..<min(2_000, start + 150)]))
        }
        let written = writer.statistics.flows
        // Every filled block is written, but for at most four still with the encoder.
        #expect(written >= 1_500 && written <= 2_000 && written % 100 == 0, "\(written) flows written")
        let name = try #require(live.files(suffix: ".seg.open").first)
        let crashed = TemporaryDirectory("crashed")
        defer { crashed.remove() }
        try FileManager.default.copyItem(atPath: live.path + "/" + name, toPath: crashed.path + "/" + name)
        try writer.close()
        #expect(try readAll(live.path).0 == flows)

        let recovered = try SegmentWriter(directory: crashed.path)
        let report = recovered.statistics.recovery
        try recovered.close()
        #expect(report.flowsKept == written)
        #expect(report.bytesTruncated == 0)
        #expect(try readAll(crashed.path).0 == Array(flows[..<Int(written)]))
    }
}
