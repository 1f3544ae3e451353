import FlowCore
import FlowTestSupport
import Foundation
import Testing
import Synchronization
@testable import SegmentStore

@Suite struct SegmentLifecycleTests {
    @Test func segmentsRollBySizeAndAreSealedWithManifestEntries() throws {
        var generator = SyntheticFlowGenerator(seed: 21)
        let flows = generator.generate(6000)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let stats = try write(flows, to: dir.path, configuration: StoreConfiguration(blockRecords: 500, segmentMaxBytes: 30_000))
        let sealed = dir.files(suffix: ".seg")
        #expect(sealed.count == Int(stats.segmentsSealed))
        #expect(sealed.count >= 3)
        #expect(dir.files(suffix: ".open").isEmpty)
        let manifest = try #require(try Manifest.load(directory: dir.path))
        #expect(manifest.entries.map(\.name) == sealed)
        #expect(manifest.entries.reduce(0) { $0 + $1.flows } == 6000)
        // Segments follow one another in time.
        for (a, b) in zip(manifest.entries, manifest.entries.dropFirst()) { #expect(a.maxEnd <= b.maxEnd) }
        let report = try StoreReader(directory: dir.path).verify()
        #expect(report.isClean, "\(report)")
    }

    /// Opening a store rewrites (and syncs) its manifest only when reconciling changed it: a new
    /// store gets none until a segment is sealed, an unchanged one keeps its file, and one the
    /// files disagree with is rewritten.
    @Test func openingRewritesTheManifestOnlyWhenItChanges() throws {
        var generator = SyntheticFlowGenerator(seed: 25)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let manifestPath = dir.path + "/MANIFEST"
        func identity() throws -> (inode: UInt64, modified: Date) {
            let attributes = try FileManager.default.attributesOfItem(atPath: manifestPath)
            return ((attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0, attributes[.modificationDate] as? Date ?? .distantPast)
        }
        let fresh = try SegmentWriter(directory: dir.path, configuration: StoreConfiguration(blockRecords: 100))
        #expect(!FileManager.default.fileExists(atPath: manifestPath))
        try fresh.append(generator.generate(250))
        try fresh.close()
        let written = try #require(try Manifest.load(directory: dir.path))
        #expect(written.entries.count == 1)
        let before = try identity()

        try SegmentWriter(directory: dir.path).close()
        #expect(try identity() == before, "an unchanged manifest was rewritten")
        #expect(try Manifest.load(directory: dir.path) == written)

        // A manifest that misses a sealed segment (a crash before its rewrite) is completed.
        try Manifest().store(directory: dir.path, sync: false)
        try SegmentWriter(directory: dir.path).close()
        #expect(try Manifest.load(directory: dir.path)?.entries.map(\.name) == written.entries.map(\.name))
        #expect(try readAll(dir.path).0.count == 250)
    }

    @Test func segmentsRollByAge() throws {
        var generator = SyntheticFlowGenerator(seed: 22)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let writer = try SegmentWriter(directory: dir.path, configuration: StoreConfiguration(blockRecords: 100, segmentMaxAge: 0.05))
        try writer.append(generator.generate(100))
        usleep(80_000)
        try writer.append(generator.generate(100))
        try writer.close()
        #expect(writer.statistics.segmentsSealed == 2)
        #expect(dir.files(suffix: ".seg").count == 2)
    }

    @Test func openSegmentIsReadableWhileTheWriterRuns() throws {
        var generator = SyntheticFlowGenerator(seed: 23)
        let first = generator.generate(1500), second = generator.generate(700)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let writer = try SegmentWriter(directory: dir.path, configuration: StoreConfiguration(blockRecords: 1000))
        try writer.append(first)
        try writer.flush()
        #expect(dir.files(suffix: ".seg.open").count == 1)
        let reader = try StoreReader(directory: dir.path)
        var visitor = CollectingVisitor()
        let stats = try reader.scan(since: nil, until: nil, visitor: &visitor)
        #expect(visitor.flows == first)
        #expect(stats.blocksRead == 2)
        // Open-segment digests are conservative: exact times and verdicts, no Bloom filter.
        #expect(visitor.digests.allSatisfy { $0.bloomWords.isEmpty && $0.mayContain(.sourceNamespace, "no-such-namespace") })
        #expect(visitor.digests[0].minStart == first[0..<1000].map(\.flow.start).min())

        try writer.append(second)
        try writer.flush()
        var again = CollectingVisitor()
        _ = try reader.scan(since: nil, until: nil, visitor: &again)
        #expect(again.flows == first + second)
        try writer.close()
        var sealed = CollectingVisitor()
        _ = try reader.scan(since: nil, until: nil, visitor: &sealed)
        #expect(sealed.flows == first + second)
        #expect(sealed.digests.allSatisfy { !$0.bloomWords.isEmpty })
    }

    @Test func retentionBySizeDeletesWholeOldestSegments() throws {
        var generator = SyntheticFlowGenerator(seed: 24)
        let flows = generator.generate(8000)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let config = StoreConfiguration(blockRecords: 400, segmentMaxBytes: 20_000, retentionMaxBytes: 60_000)
        let stats = try write(flows, to: dir.path, configuration: config, batch: 400)
        #expect(stats.segmentsDeleted > 0)
        let manifest = try #require(try Manifest.load(directory: dir.path))
        #expect(manifest.totalBytes <= 60_000)
        #expect(manifest.entries.map(\.name) == dir.files(suffix: ".seg"))
        // What is left is the newest data, whole and in order.
        let (back, _) = try readAll(dir.path)
        #expect(!back.isEmpty)
        #expect(back == Array(flows.suffix(back.count)))
        #expect(back.count % 400 == 0)
    }

    @Test func retentionByAgeDeletesSegmentsSealedTooLongAgo() throws {
        var generator = SyntheticFlowGenerator(seed: 25)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        _ = try write(generator.generate(2000), to: dir.path, configuration: StoreConfiguration(blockRecords: 500, segmentMaxBytes: 10_000))
        let before = dir.files(suffix: ".seg").count
        #expect(before >= 2)
        usleep(50_000)
        let writer = try SegmentWriter(directory: dir.path, configuration: StoreConfiguration(retentionMaxAge: 0.01))
        #expect(writer.statistics.segmentsDeleted == UInt64(before))
        try writer.append(generator.generate(10))
        try writer.close()
        #expect(dir.files(suffix: ".seg").count <= 1)
    }

    @Test func secondWriterOnTheSameDirectoryIsRefused() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let writer = try SegmentWriter(directory: dir.path)
        #expect(throws: FlowlogError.self) { _ = try SegmentWriter(directory: dir.path) }
        try writer.close()
        let again = try SegmentWriter(directory: dir.path)
        try again.close()
    }

    @Test func writerStatisticsCountWhatWasWritten() throws {
        var generator = SyntheticFlowGenerator(seed: 26)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let stats = try write(generator.generate(2500), to: dir.path, configuration: StoreConfiguration(blockRecords: 1000))
        #expect(stats.flows == 2500 && stats.blocks == 3 && stats.segmentsSealed == 1)
        let size = try #require(Directory.fileSize(dir.path + "/" + dir.files(suffix: ".seg")[0]))
        #expect(stats.bytesWritten == size)
        #expect(stats.bytesPerFlow > 5 && stats.bytesPerFlow < 100)
    }
}

@Suite struct ConcurrentReadTests {
    /// A reader scanning over and over while the writer appends, rolls and seals segments
    /// (renames under its feet) always sees a prefix of what was written, never a gap, a
    /// duplicate or a damaged block.
    @Test func readerSeesConsistentPrefixesWhileSegmentsRoll() throws {
        var generator = SyntheticFlowGenerator(seed: 51)
        let flows = generator.generate(12_000)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let writer = try SegmentWriter(directory: dir.path,
                                       configuration: StoreConfiguration(blockRecords: 300, segmentMaxBytes: 25_000, fsync: .onSeal))
        try writer.append(Array(flows[0..<300]))
        try writer.flush()
        let state = WriterThreadState()
        let thread = Thread {
            do {
                var index = 300
                while index < flows.count {
                    try writer.append(Array(flows[index..<min(flows.count, index + 200)]))
                    index += 200
                }
                try writer.close()
            } catch {
                state.failure.withLock { $0 = String(describing: error) }
            }
            state.finished.store(true, ordering: .releasing)
        }
        thread.start()
        let reader = try StoreReader(directory: dir.path)
        var previous = 0
        var scans = 0
        var writerDone = false
        // One more scan after the writer has finished.
        while !writerDone || scans < 2 {
            writerDone = state.finished.load(ordering: .acquiring)
            var visitor = CollectingVisitor()
            let stats = try reader.scan(since: nil, until: nil, visitor: &visitor)
            #expect(stats.corruptBlocks.isEmpty, "\(stats.corruptBlocks)")
            #expect(visitor.flows == Array(flows[0..<visitor.flows.count]))
            #expect(visitor.flows.count >= previous)
            previous = visitor.flows.count
            scans += 1
        }
        #expect(state.failure.withLock { $0 } == nil)
        #expect(previous == flows.count)
        #expect(writer.statistics.segmentsSealed > 3)
    }
}

/// What the writer thread of `ConcurrentReadTests` reports, behind a lock.
final class WriterThreadState: Sendable {
    let finished = Atomic<Bool>(false)
    let failure = Mutex<String?>(nil)
}
