import FlowCore
import FlowTestSupport
import Foundation
import Testing
@testable import SegmentStore

@Suite struct CrashRecoveryTests {
    /// A store whose writer "died" after flushing `blocks` blocks of 100 flows: the open segment
    /// copied to a fresh directory (the live writer keeps its lock on the original).
    func crashedStore(blocks: Int, seed: UInt64) throws -> (dir: TemporaryDirectory, openFile: String, flows: [AnnotatedFlow]) {
        var generator = SyntheticFlowGenerator(seed: seed)
        let flows = generator.generate(blocks * 100)
        let live = TemporaryDirectory("live")
        defer { live.remove() }
        let writer = try SegmentWriter(directory: live.path, configuration: StoreConfiguration(blockRecords: 100))
        try writer.append(flows)
        try writer.flush()
        let name = try #require(live.files(suffix: ".seg.open").first)
        let crashed = TemporaryDirectory("crashed")
        try FileManager.default.copyItem(atPath: live.path + "/" + name, toPath: crashed.path + "/" + name)
        try writer.close()
        return (crashed, crashed.path + "/" + name, flows)
    }

    func append(_ bytes: [UInt8], to path: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(bytes))
        handle.closeFile()
    }

    @Test func tornTailIsCutAndEveryCompleteBlockKept() throws {
        let (dir, path, flows) = try crashedStore(blocks: 5, seed: 31)
        defer { dir.remove() }
        // Half of a block: a valid header claiming more payload than the file holds.
        let bytes = try #require(FileManager.default.contents(atPath: path))
        let lastBlock = try SegmentLayout.read(PosixFile.openForReading(path)).blocks.last!
        let torn = Array(bytes[Int(lastBlock.offset)..<(Int(lastBlock.offset) + Int(lastBlock.length) / 2)])
        try append(torn, to: path)
        let before = try StoreReader(directory: dir.path).verify()
        #expect(before.isClean)
        #expect(before.segments.first?.unfinishedTail == UInt64(torn.count))

        let writer = try SegmentWriter(directory: dir.path)
        let report = writer.statistics.recovery
        try writer.close()
        #expect(report.segmentsRecovered == 1)
        #expect(report.blocksKept == 5)
        #expect(report.flowsKept == 500)
        #expect(report.bytesTruncated == UInt64(torn.count))
        #expect(report.problems.isEmpty)
        #expect(report.description.contains("truncated \(torn.count) byte"))
        let (back, stats) = try readAll(dir.path)
        #expect(back == flows)
        #expect(stats.corruptBlocks.isEmpty)
        #expect(dir.files(suffix: ".open").isEmpty)
        #expect(try StoreReader(directory: dir.path).verify().isClean)
    }

    @Test func garbageTailAndPartialHeaderAreCut() throws {
        let (dir, path, flows) = try crashedStore(blocks: 3, seed: 32)
        defer { dir.remove() }
        try append([0x46, 0x4C, 0x42, 0x4B, 1, 0, 1], to: path)   // "FLBK" and a few header bytes
        let writer = try SegmentWriter(directory: dir.path)
        #expect(writer.statistics.recovery.bytesTruncated == 7)
        try writer.close()
        #expect(try readAll(dir.path).0 == flows)
    }

    @Test func sealInterruptedBeforeTheRenameIsCompleted() throws {
        var generator = SyntheticFlowGenerator(seed: 33)
        let flows = generator.generate(300)
        let source = TemporaryDirectory("sealed")
        defer { source.remove() }
        _ = try write(flows, to: source.path, configuration: StoreConfiguration(blockRecords: 100))
        let sealed = try #require(source.files(suffix: ".seg").first)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        // Index and footer written, rename not done.
        try FileManager.default.copyItem(atPath: source.path + "/" + sealed, toPath: dir.path + "/" + sealed + ".open")
        let writer = try SegmentWriter(directory: dir.path)
        #expect(writer.statistics.recovery.bytesTruncated == 0)
        #expect(writer.statistics.recovery.blocksKept == 3)
        try writer.close()
        #expect(dir.files(suffix: ".seg") == [sealed])
        #expect(try readAll(dir.path).0 == flows)
    }

    /// The sealer syncs a segment and the manifest listing it together, then renames both; until
    /// the directory's sync either rename may reach the disk alone. Here the manifest's did and
    /// the segment's did not: the manifest names `N.seg` while `N.seg.open` (footer written) is
    /// on disk. Recovery must seal it under the name the manifest gives, keep the manifest's line
    /// (its seal time included) and lose no flow.
    @Test func manifestRenamedBeforeTheSegmentIsCompleted() throws {
        var generator = SyntheticFlowGenerator(seed: 36)
        let flows = generator.generate(300)
        let source = TemporaryDirectory("sealed")
        defer { source.remove() }
        _ = try write(flows, to: source.path, configuration: StoreConfiguration(blockRecords: 100))
        let sealed = try #require(source.files(suffix: ".seg").first)
        let original = try #require(try Manifest.load(directory: source.path))
        #expect(original.entries.map(\.name) == [sealed])
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.copyItem(atPath: source.path + "/MANIFEST", toPath: dir.path + "/MANIFEST")
        try FileManager.default.copyItem(atPath: source.path + "/" + sealed, toPath: dir.path + "/" + sealed + ".open")
        let writer = try SegmentWriter(directory: dir.path)
        #expect(writer.statistics.recovery.segmentsRecovered == 1)
        #expect(writer.statistics.recovery.blocksKept == 3)
        #expect(writer.statistics.recovery.bytesTruncated == 0)
        try writer.close()
        #expect(dir.files(suffix: ".seg") == [sealed])
        #expect(dir.files(suffix: ".open").isEmpty)
        #expect(try Manifest.load(directory: dir.path) == original)
        #expect(try readAll(dir.path).0 == flows)
        #expect(try StoreReader(directory: dir.path).verify().isClean)
    }

    @Test func segmentDiedAtCreationIsRemoved() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        #expect(FileManager.default.createFile(atPath: dir.path + "/000000000001.seg.open", contents: Data([0x46, 0x4C])))
        let writer = try SegmentWriter(directory: dir.path)
        #expect(writer.statistics.recovery.bytesTruncated == 2)
        var generator = SyntheticFlowGenerator(seed: 34)
        let flows = generator.generate(10)
        try writer.append(flows)
        try writer.close()
        #expect(dir.files(suffix: ".seg") == ["000000000002.seg"])
        #expect(try readAll(dir.path).0 == flows)
    }

    @Test func manifestIsRebuiltWhenMissingOrDamaged() throws {
        var generator = SyntheticFlowGenerator(seed: 35)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        _ = try write(generator.generate(1000), to: dir.path, configuration: StoreConfiguration(blockRecords: 100, segmentMaxBytes: 8000))
        let original = try #require(try Manifest.load(directory: dir.path))
        try FileManager.default.removeItem(atPath: dir.path + "/MANIFEST")
        try SegmentWriter(directory: dir.path).close()
        let rebuilt = try #require(try Manifest.load(directory: dir.path))
        #expect(rebuilt.entries.map(\.name) == original.entries.map(\.name))
        #expect(rebuilt.entries.map(\.flows) == original.entries.map(\.flows))

        try Data("flowlog-manifest 1\ngarbage".utf8).write(to: URL(fileURLWithPath: dir.path + "/MANIFEST"))
        #expect(throws: FlowlogError.self) { _ = try Manifest.load(directory: dir.path) }
        #expect(try readAll(dir.path).0.count == 1000)   // readers do without it
        let writer = try SegmentWriter(directory: dir.path)
        #expect(writer.statistics.recovery.problems.count == 1)
        try writer.close()
        #expect(try Manifest.load(directory: dir.path)?.entries.count == original.entries.count)
    }

    // MARK: - kill -9

    /// The built `storegen` tool (a dependency of this test target): next to this test bundle,
    /// or `.build/debug` under the package root found from this file's path.
    static func storegenBinary() -> String? {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            bundleDirectory.appendingPathComponent("storegen").path,
            bundleDirectory.deletingLastPathComponent().appendingPathComponent("storegen").path,
            packageRoot.appendingPathComponent(".build/debug/storegen").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test(arguments: [12_000, 31_000])
    func killedWriterLosesNoDurableBlock(killAfter: Int) throws {
        let binary = try #require(Self.storegenBinary(), "build the storegen tool first (swift build)")
        let dir = TemporaryDirectory("kill")
        defer { dir.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [dir.path, "--flows", "0", "--seed", "77", "--batch", "250",
                             "--flush-every", "1000", "--block-records", "700", "--segment-bytes", "150000",
                             "--compression-level", "0", "--fsync", "seal", "--progress"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var durable = 0
        var pending = Data()
        let reader = output.fileHandleForReading
        while durable < killAfter {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                if line.hasPrefix("durable "), let n = Int(line.dropFirst(8)) { durable = n }
            }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(durable >= killAfter)

        let writer = try SegmentWriter(directory: dir.path)
        let report = writer.statistics.recovery
        try writer.close()
        #expect(report.problems.isEmpty, "\(report)")
        let (back, stats) = try readAll(dir.path)
        #expect(stats.corruptBlocks.isEmpty)
        #expect(back.count >= durable)
        // Everything kept is exactly what the writer was given, in order, with nothing missing.
        var generator = SyntheticFlowGenerator(seed: 77)
        #expect(back == generator.generate(back.count))
        #expect(try StoreReader(directory: dir.path).verify().isClean)
    }
}
