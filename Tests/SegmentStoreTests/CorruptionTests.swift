import FlowCore
import FlowTestSupport
import Foundation
import Testing
@testable import SegmentStore

@Suite struct CorruptionTests {
    func flip(_ path: String, at offset: UInt64, mask: UInt8 = 0x10) throws {
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[Int(offset)] ^= mask
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    func layout(_ path: String, useIndex: Bool = true) throws -> SegmentLayout {
        let file = try PosixFile.openForReading(path)
        defer { file.close() }
        return try SegmentLayout.read(file, useIndex: useIndex)
    }

    func store(_ count: Int, seed: UInt64, close: Bool = true) throws -> (TemporaryDirectory, [AnnotatedFlow], SegmentWriter?) {
        var generator = SyntheticFlowGenerator(seed: seed)
        let flows = generator.generate(count)
        let dir = TemporaryDirectory()
        let writer = try SegmentWriter(directory: dir.path, configuration: StoreConfiguration(blockRecords: 100))
        try writer.append(flows)
        if close { try writer.close() } else { try writer.flush() }
        return (dir, flows, close ? nil : writer)
    }

    @Test func bitFlipInAPayloadIsReportedWithFileAndOffsetAndSkipped() throws {
        let (dir, flows, _) = try store(500, seed: 41)
        defer { dir.remove() }
        let path = dir.path + "/" + dir.files(suffix: ".seg")[0]
        let block = try layout(path).blocks[2]
        try flip(path, at: block.offset + UInt64(block.length) - 7)

        let (back, stats) = try readAll(dir.path)
        #expect(back == Array(flows[0..<200] + flows[300..<500]))
        #expect(stats.corruptBlocks.count == 1)
        let problem = try #require(stats.corruptBlocks.first)
        #expect(problem.code == .corrupt)
        #expect(problem.location?.file == path)
        #expect(problem.location?.offset == block.offset)
        #expect(problem.description.contains("checksum"))

        let report = try StoreReader(directory: dir.path).verify()
        #expect(!report.isClean)
        #expect(report.segments[0].problems.contains { $0.location?.offset == block.offset })
    }

    @Test func bitFlipInABlockHeaderOfTheOpenSegmentIsSkippedToTheNextBlock() throws {
        let (dir, flows, writer) = try store(400, seed: 42, close: false)
        defer { dir.remove() }
        let path = dir.path + "/" + dir.files(suffix: ".seg.open")[0]
        let block = try layout(path).blocks[1]
        try flip(path, at: block.offset + 9)
        let (back, stats) = try readAll(dir.path)
        #expect(back == Array(flows[0..<100] + flows[200..<400]))
        #expect(stats.corruptBlocks.count == 1)
        #expect(stats.corruptBlocks.first?.location?.offset == block.offset)
        _ = writer
    }

    @Test func damagedIndexFallsBackToTheBlocks() throws {
        let (dir, flows, _) = try store(300, seed: 43)
        defer { dir.remove() }
        let path = dir.path + "/" + dir.files(suffix: ".seg")[0]
        let footer = try #require(try layout(path).footer)
        try flip(path, at: footer.indexOffset + 20)
        let (back, stats) = try readAll(dir.path)
        #expect(back == flows)
        #expect(stats.corruptBlocks.count == 1)
        #expect(stats.corruptBlocks.first?.location?.field == "block index")
        #expect(!(try StoreReader(directory: dir.path).verify().isClean))
    }

    @Test func everySingleByteFlipInABlockIsCaught() throws {
        let (dir, flows, _) = try store(100, seed: 44)
        defer { dir.remove() }
        let path = dir.path + "/" + dir.files(suffix: ".seg")[0]
        let original = try #require(FileManager.default.contents(atPath: path))
        let block = try layout(path).blocks[0]
        var rng = SplitMix64(seed: 1)
        for _ in 0..<40 {
            let offset = block.offset + rng.below(UInt64(block.length))
            var bytes = original
            bytes[Int(offset)] ^= UInt8(1 << rng.below(8))
            try bytes.write(to: URL(fileURLWithPath: path))
            let (back, stats) = try readAll(dir.path)
            #expect(back.isEmpty || back == flows)
            #expect(stats.corruptBlocks.count == 1, "flip at \(offset)")
        }
    }

    @Test func newerSegmentVersionIsRejected() throws {
        let (dir, _, _) = try store(100, seed: 45)
        defer { dir.remove() }
        let path = dir.path + "/" + dir.files(suffix: ".seg")[0]
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[4] = 9   // version 9
        let crc = [UInt8](bytes[0..<28]).withUnsafeBytes { CRC32C.checksum($0) }
        for i in 0..<4 { bytes[28 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        try bytes.write(to: URL(fileURLWithPath: path))
        do {
            _ = try StoreReader(directory: dir.path)
            Issue.record("a newer segment was accepted")
        } catch let error as FlowlogError {
            #expect(error.code == .newerFormat)
            #expect(error.location?.file == path)
            #expect(error.message.contains("version 9"))
        }
        #expect(throws: FlowlogError.self) { _ = try SegmentWriter(directory: dir.path) }
    }

    @Test func newerManifestVersionIsRejected() throws {
        let (dir, _, _) = try store(100, seed: 46)
        defer { dir.remove() }
        let path = dir.path + "/MANIFEST"
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "flowlog-manifest 1", with: "flowlog-manifest 2")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect { _ = try StoreReader(directory: dir.path) } throws: { ($0 as? FlowlogError)?.code == .newerFormat }
    }

    @Test func missingEmptyAndNonDirectoryStoresAreClearErrors() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        #expect { _ = try StoreReader(directory: dir.path + "/nope") } throws: {
            ($0 as? FlowlogError)?.code == .fileNotFound && "\($0)".contains("no such store directory")
        }
        #expect { _ = try StoreReader(directory: dir.path) } throws: { "\($0)".contains("store is empty") }
        #expect(FileManager.default.createFile(atPath: dir.path + "/file", contents: Data()))
        #expect { _ = try StoreReader(directory: dir.path + "/file") } throws: { "\($0)".contains("not a directory") }
    }

    @Test func foreignFileWithASegmentNameIsReportedNotFatal() throws {
        let (dir, flows, _) = try store(200, seed: 47)
        defer { dir.remove() }
        #expect(FileManager.default.createFile(atPath: dir.path + "/000000000099.seg", contents: Data("not a segment at all, really".utf8 + [UInt8](repeating: 0, count: 40))))
        let (back, stats) = try readAll(dir.path)
        #expect(back == flows)
        #expect(stats.corruptBlocks.count == 1)
        #expect(stats.corruptBlocks.first?.location?.file?.hasSuffix("000000000099.seg") == true)
    }
}

@Suite struct DamagedFileRobustnessTests {
    /// Random bit flips anywhere in a segment (header, blocks, index, footer) and truncation at
    /// any length: the reader never crashes, never invents flows, and says when it lost some.
    @Test func randomDamageNeverCrashesOrInventsFlows() throws {
        var generator = SyntheticFlowGenerator(seed: 61)
        let flows = generator.generate(900)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        _ = try write(flows, to: dir.path, configuration: StoreConfiguration(blockRecords: 200))
        let name = dir.files(suffix: ".seg")[0]
        let path = dir.path + "/" + name
        let original = try #require(FileManager.default.contents(atPath: path))
        try FileManager.default.removeItem(atPath: dir.path + "/MANIFEST")
        var rng = SplitMix64(seed: 7)
        for round in 0..<60 {
            var bytes = original
            if round % 3 == 0 {
                bytes = bytes.prefix(Int(rng.below(UInt64(bytes.count))))
            } else {
                for _ in 0..<(1 + rng.below(3)) {
                    let at = Int(rng.below(UInt64(bytes.count)))
                    bytes[at] ^= UInt8(1 << rng.below(8))
                }
            }
            try bytes.write(to: URL(fileURLWithPath: path))
            let back: [AnnotatedFlow]
            let stats: ScanStatistics
            do {
                (back, stats) = try readAll(dir.path)
            } catch let error as FlowlogError {
                // Only a damaged segment header may make the whole file unreadable, never a crash.
                #expect(error.code != .io, "\(error)")
                continue
            }
            let expected = Set(flows)
            #expect(back.allSatisfy { expected.contains($0) }, "round \(round)")
            if back.count < flows.count {
                #expect(!stats.corruptBlocks.isEmpty, "round \(round): lost flows silently")
            }
        }
    }
}
