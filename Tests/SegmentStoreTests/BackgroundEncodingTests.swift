import FlowCore
import FlowTestSupport
import Foundation
import Testing
@testable import SegmentStore

/// The writer encodes filled blocks on a background queue: the store must come out the same
/// as when it encodes inline, blocks in order, nothing lost at close, and a crash must leave
/// only whole blocks of what was accepted.
@Suite struct BackgroundEncodingTests {
    /// Every block's bytes, segment by segment in sequence order.
    func blocks(in directory: String) throws -> [[UInt8]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".seg") || $0.hasSuffix(".seg.open") }.sorted()
        var out: [[UInt8]] = []
        for name in names {
            let path = directory + "/" + name
            let bytes = try #require(FileManager.default.contents(atPath: path))
            for block in try SegmentLayout.read(PosixFile.openForReading(path)).blocks {
                out.append(Array(bytes[Int(block.offset)..<Int(block.offset) + Int(block.length)]))
            }
        }
        return out
    }

    @Test(arguments: [1, 7, 250, 1000])
    func sameBlocksInTheSameOrderAsInlineEncoding(batch: Int) throws {
        var generator = SyntheticFlowGenerator(seed: 41)
        let flows = generator.generate(2_345)
        let inline = TemporaryDirectory("inline"), background = TemporaryDirectory("background")
        defer { inline.remove(); background.remove() }
        let inlineStats = try write(flows, to: inline.path,
                                    configuration: StoreConfiguration(blockRecords: 200, segmentMaxBytes: 20_000, encodesInBackground: false),
                                    batch: batch)
        let backgroundStats = try write(flows, to: background.path,
                                        configuration: StoreConfiguration(blockRecords: 200, segmentMaxBytes: 20_000, encodesInBackground: true),
                                        batch: batch)
        let expected = try blocks(in: inline.path)
        #expect(expected.count == 12)
        #expect(try blocks(in: background.path) == expected)
        #expect(backgroundStats.flows == 2_345 && backgroundStats.blocks == 12)
        #expect(backgroundStats.bytesWritten == inlineStats.bytesWritten)
        #expect(try readAll(background.path).0 == flows)
    }

    /// The pipelined writer (one block building while the one before compresses) against the
    /// plain one (each block encoded and written before the next is cut), on random flows,
    /// block sizes, segment sizes near the blocks' own (so segments roll at every kind of
    /// boundary), batch sizes, compression levels, format versions and catalog limits: the same
    /// blocks in the same segments, byte for byte.
    @Test func pipelinedWriterWritesWhatThePlainOneWrites() throws {
        var random = SplitMix64(seed: 0xB10C)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        var rolled = 0
        for round in 0..<24 {
            var generator = SyntheticFlowGenerator(seed: UInt64(100 + round), pods: 20 + pick(400), namespaces: 1 + pick(40))
            let flows = generator.generate(300 + pick(3_000))
            var configuration = StoreConfiguration(blockRecords: 20 + pick(600), segmentMaxBytes: 3_000 + pick(40_000),
                                                   compressionLevel: [0, 3, 9][pick(3)], encodesInBackground: false)
            configuration.formatVersion = pick(4) == 0 ? SegmentFormat.domainsVersion : SegmentFormat.version
            configuration.catalogEntryLimit = [8, 64, EncoderCatalog.defaultEntryLimit][pick(3)]
            let batch = 1 + pick(900)
            let plain = TemporaryDirectory("plain"), pipelined = TemporaryDirectory("pipelined")
            defer { plain.remove(); pipelined.remove() }
            let plainStats = try write(flows, to: plain.path, configuration: configuration, batch: batch)
            configuration.encodesInBackground = true
            let pipelinedStats = try write(flows, to: pipelined.path, configuration: configuration, batch: batch)
            let expected = try blockBytesBySegment(in: plain.path)
            #expect(try blockBytesBySegment(in: pipelined.path) == expected, "round \(round)")
            #expect(pipelinedStats.blocks == plainStats.blocks && pipelinedStats.bytesWritten == plainStats.bytesWritten)
            #expect(try readAll(pipelined.path).0 == flows)
            if expected.count > 2 { rolled += 1 }
        }
        // Most rounds roll segments by size, so the roll decision is exercised.
        #expect(rolled > 12, "\(rolled) rounds rolled")
    }

    @Test func closeWritesTheBlockInFlightAndThePartialOne() throws {
        var generator = SyntheticFlowGenerator(seed: 42)
        let flows = generator.generate(1_050)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let writer = try SegmentWriter(directory: dir.path, configuration: StoreConfiguration(blockRecords: 500))
        // The second block fills on the last flow: it is still with the encoder when close runs.
        try writer.append(Array(flows[..<1_000]))
        try writer.append(Array(flows[1_000...]))
        try writer.close()
        #expect(writer.statistics.flows == 1_050)
        #expect(writer.statistics.blocks == 3)
        #expect(try readAll(dir.path).0 == flows)
    }

    @Test func flushMakesEveryAcceptedFlowReadable() throws {
        var generator = SyntheticFlowGenerator(seed: 43)
        let flows = generator.generate(900)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let writer = try SegmentWriter(directory: dir.path, configuration: StoreConfiguration(blockRecords: 300))
        try writer.append(flows)
        try writer.flush()
        #expect(writer.statistics.flows == 900)
        #expect(try readAll(dir.path).0 == flows)
        try writer.close()
    }

    /// A writer that dies between calls leaves the blocks written so far, whole and in order:
    /// recovery keeps a prefix of the accepted flows, never a torn or reordered block.
    @Test func crashBetweenAppendsLeavesAPrefixOfWholeBlocks() throws {
        var generator = SyntheticFlowGenerator(seed: 44)
        let flows = generator.generate(1_000)
        let live = TemporaryDirectory("live")
        defer { live.remove() }
        let writer = try SegmentWriter(directory: live.path, configuration: StoreConfiguration(blockRecords: 100))
        for start in stride(from: 0, to: 1_000, by: 150) {
            try writer.append(Array(flows[start..<min(1_000, start + 150)]))
        }
        let written = writer.statistics.flows
        // Every filled block is written, but for the last one, which may still be with the encoder.
        #expect(written == 900 || written == 1_000)
        let name = try #require(live.files(suffix: ".seg.open").first)
        let crashed = TemporaryDirectory("crashed")
        defer { crashed.remove() }
        try FileManager.default.copyItem(atPath: live.path + "/" + name, toPath: crashed.path + "/" + name)
        try writer.close()

        let recovered = try SegmentWriter(directory: crashed.path)
        let report = recovered.statistics.recovery
        try recovered.close()
        #expect(report.flowsKept == written)
        #expect(report.bytesTruncated == 0)
        #expect(try readAll(crashed.path).0 == Array(flows[..<Int(written)]))
    }

    /// `append(taking:)` moves the caller's flows into the block instead of copying them: the
    /// same segments as `append`, the caller's batch left empty, and the flows read back whole.
    @Test func takingAppendWritesWhatCopyingAppendWrites() throws {
        var random = SplitMix64(seed: 0x7A4E)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        for round in 0..<8 {
            var generator = SyntheticFlowGenerator(seed: UInt64(300 + round), pods: 20 + pick(200))
            let flows = generator.generate(200 + pick(2_000))
            let configuration = StoreConfiguration(blockRecords: 20 + pick(500), segmentMaxBytes: 3_000 + pick(30_000),
                                                   encodesInBackground: pick(2) == 0)
            let copying = TemporaryDirectory("copying"), taking = TemporaryDirectory("taking")
            defer { copying.remove(); taking.remove() }
            var batches: [Int] = []
            var total = 0
            while total < flows.count {
                let size = min(flows.count - total, 1 + pick(700))
                batches.append(size)
                total += size
            }
            for (directory, moves) in [(copying, false), (taking, true)] {
                let writer = try SegmentWriter(directory: directory.path, configuration: configuration)
                var start = 0
                for size in batches {
                    var batch = Array(flows[start..<start + size])
                    if moves {
                        try writer.append(taking: &batch)
                        #expect(batch.isEmpty)
                    } else {
                        try writer.append(batch)
                    }
                    start += size
                }
                try writer.close()
            }
            #expect(try blockBytesBySegment(in: taking.path) == blockBytesBySegment(in: copying.path), "round \(round)")
            #expect(try readAll(taking.path).0 == flows, "round \(round)")
        }
    }
}
