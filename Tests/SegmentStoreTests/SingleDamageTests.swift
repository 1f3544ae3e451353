import FlowCore
import FlowTestSupport
import Foundation
import Testing
@testable import SegmentStore

/// A store with any single damaged header, block or file still yields every intact block's
/// flows, and the scan names what it skipped with the flows that may be missing.
@Suite(.serialized) struct SingleDamageTests {
    struct Block {
        var file: String
        var offset: UInt64
        var length: UInt32
        var flows: Range<Int>
    }

    /// Several sealed segments and an open one; every block and the flows it holds.
    struct Store {
        let dir: TemporaryDirectory
        let flows: [AnnotatedFlow]
        let blocks: [Block]
        let writer: SegmentWriter

        func path(_ name: String) -> String { dir.path + "/" + name }
        var files: [String] { dir.files(suffix: ".seg") + dir.files(suffix: ".seg.open") }
    }

    static func makeStore(seed: UInt64) throws -> Store {
        var generator = SyntheticFlowGenerator(seed: seed)
        let flows = generator.generate(1_200)
        let dir = TemporaryDirectory("damage")
        let configuration = StoreConfiguration(blockRecords: 100, retentionMaxBytes: nil, retentionMaxAge: nil,
                                               encodesInBackground: false)
        // Three sealed segments of three blocks each, then an open one the writer keeps.
        for part in 0..<3 {
            let sealing = try SegmentWriter(directory: dir.path, configuration: configuration)
            try sealing.append(Array(flows[(part * 300)..<(part * 300 + 300)]))
            try sealing.close()
        }
        let writer = try SegmentWriter(directory: dir.path, configuration: configuration)
        try writer.append(Array(flows[900...]))
        try writer.flush()
        var blocks: [Block] = []
        var next = 0
        for name in dir.files(suffix: ".seg") + dir.files(suffix: ".seg.open") {
            let file = try PosixFile.openForReading(dir.path + "/" + name)
            defer { file.close() }
            for block in try SegmentLayout.read(file, useIndex: false).blocks {
                blocks.append(Block(file: name, offset: block.offset, length: block.length,
                                    flows: next..<(next + Int(block.digest.count))))
                next += Int(block.digest.count)
            }
        }
        #expect(next == flows.count)
        return Store(dir: dir, flows: flows, blocks: blocks, writer: writer)
    }

    func damage(_ path: String, at offset: UInt64, _ check: () throws -> Void) throws {
        let original = try #require(FileManager.default.contents(atPath: path))
        var bytes = original
        bytes[Int(offset)] ^= 0x24
        try bytes.write(to: URL(fileURLWithPath: path))
        defer { try? original.write(to: URL(fileURLWithPath: path)) }
        try check()
    }

    /// Reads everything and checks that exactly the flows outside `lost` came back, and that
    /// the problems account for the loss.
    func expectIntact(_ store: Store, losing lost: Range<Int>? = nil, _ what: String,
                      knownLoss: Bool = true) throws {
        let (back, stats) = try readAll(store.dir.path)
        var expected = store.flows
        if let lost { expected.removeSubrange(lost) }
        #expect(back == expected, "\(what): \(back.count) of \(expected.count) flows")
        #expect(!stats.problems.isEmpty, "\(what): damage went unreported")
        let (known, unknown) = stats.flowsMissing
        if let lost {
            if knownLoss {
                #expect(known == UInt64(lost.count), "\(what): \(stats.problems)")
            } else {
                #expect(unknown || known >= UInt64(lost.count), "\(what): \(stats.problems)")
            }
        } else {
            #expect(known == 0 && !unknown, "\(what): \(stats.problems)")
        }
    }

    @Test func theStoreHasSeveralSealedSegmentsAndAnOpenOne() throws {
        let store = try Self.makeStore(seed: 90)
        defer { store.dir.remove() }
        #expect(store.dir.files(suffix: ".seg").count >= 3)
        #expect(store.dir.files(suffix: ".seg.open").count == 1)
        let (back, stats) = try readAll(store.dir.path)
        #expect(back == store.flows && stats.problems.isEmpty)
    }

    /// The case: one flipped byte at offset 20 of a segment header hid all its blocks.
    @Test func aDamagedSegmentHeaderCostsOnlyItself() throws {
        let store = try Self.makeStore(seed: 91)
        defer { store.dir.remove() }
        for name in store.files {
            for offset: UInt64 in [0, 3, 4, 6, 8, 16, 20, 24, 28, 31] {
                try damage(store.path(name), at: offset) {
                    try expectIntact(store, "\(name) header byte \(offset)")
                    let (_, stats) = try readAll(store.dir.path)
                    #expect(stats.problems.contains { $0.error.location?.field == "segment header" && $0.flowsMissing == 0 })
                }
            }
        }
    }

    @Test func aDamagedBlockHeaderCostsOnlyItsBlock() throws {
        let store = try Self.makeStore(seed: 92)
        defer { store.dir.remove() }
        for block in store.blocks {
            for within: UInt64 in [0, 7, 9, 13, 17, 30, 77] {
                try damage(store.path(block.file), at: block.offset + within) {
                    try expectIntact(store, losing: block.flows, "\(block.file) block at \(block.offset) header byte \(within)",
                                     knownLoss: !block.file.hasSuffix(".open"))
                }
            }
        }
    }

    @Test func aDamagedPayloadCostsOnlyItsBlock() throws {
        let store = try Self.makeStore(seed: 93)
        defer { store.dir.remove() }
        for block in store.blocks {
            for within in [UInt64(SegmentFormat.blockHeaderSize), UInt64(block.length) / 2, UInt64(block.length) - 1] {
                try damage(store.path(block.file), at: block.offset + within) {
                    try expectIntact(store, losing: block.flows, "\(block.file) block at \(block.offset) payload byte \(within)")
                }
            }
        }
    }

    @Test func aDamagedIndexFooterOrManifestCostsNothing() throws {
        let store = try Self.makeStore(seed: 94)
        defer { store.dir.remove() }
        for name in store.dir.files(suffix: ".seg") {
            let file = try PosixFile.openForReading(store.path(name))
            let layout = try SegmentLayout.read(file)
            file.close()
            let footer = try #require(layout.footer)
            for offset in [footer.indexOffset, footer.indexOffset + 13, layout.fileSize - 56, layout.fileSize - 40, layout.fileSize - 1] {
                try damage(store.path(name), at: offset) { try expectIntact(store, "\(name) byte \(offset)") }
            }
        }
        let manifest = store.path("MANIFEST")
        let size = try #require(FileManager.default.contents(atPath: manifest)).count
        for offset in [0, 20, UInt64(size) - 3] {
            try damage(manifest, at: UInt64(offset)) { try expectIntact(store, "manifest byte \(offset)") }
        }
    }

    @Test func aMissingSealedSegmentIsReportedWithItsFlows() throws {
        let store = try Self.makeStore(seed: 95)
        defer { store.dir.remove() }
        for name in store.dir.files(suffix: ".seg") {
            let path = store.path(name)
            let original = try #require(FileManager.default.contents(atPath: path))
            try FileManager.default.removeItem(atPath: path)
            defer { try? original.write(to: URL(fileURLWithPath: path)) }
            let first = store.blocks.first { $0.file == name }!.flows.lowerBound
            let last = store.blocks.last { $0.file == name }!.flows.upperBound
            try expectIntact(store, losing: first..<last, "\(name) deleted")
            let (_, stats) = try readAll(store.dir.path)
            let problem = try #require(stats.problems.first)
            #expect(problem.error.code == .fileNotFound)
            #expect(problem.error.location?.file == path)
            #expect(problem.description.contains("\(last - first) flows may be missing"))
        }
    }

    /// Headers whose checksum matches but whose numbers no writer produces: the raw
    /// size of 0x7FFFFFFE for a small block, an unknown codec, impossible record counts.
    @Test func implausibleBlockHeadersAreRejectedWithTheirReason() throws {
        let store = try Self.makeStore(seed: 96)
        defer { store.dir.remove() }
        let block = try #require(store.blocks.first { !$0.file.hasSuffix(".open") })
        let path = store.path(block.file)
        let original = try #require(FileManager.default.contents(atPath: path))
        defer { try? original.write(to: URL(fileURLWithPath: path)) }
        let cases: [(Int, [UInt8], String)] = [
            (12, [0xFE, 0xFF, 0xFF, 0x7F], "raw bytes"),
            (6, [2], "unknown codec 2"),
            (8, [0, 0, 0, 0], "counts 0 records"),
            (8, [0, 0, 0x20, 0], "counts 2097152 records"),
            (16, [0, 0, 0, 0], "0 stored bytes"),
        ]
        for (field, value, words) in cases {
            var bytes = original
            let at = Int(block.offset)
            bytes.replaceSubrange((at + field)..<(at + field + value.count), with: value)
            let crc = [UInt8](bytes[at..<(at + 76)]).withUnsafeBytes { CRC32C.checksum($0) }
            for i in 0..<4 { bytes[at + 76 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
            try bytes.write(to: URL(fileURLWithPath: path))
            try expectIntact(store, losing: block.flows, "header field \(field)")
            let (_, stats) = try readAll(store.dir.path)
            #expect(stats.problems.contains { $0.error.message.contains(words) }, "\(words): \(stats.problems)")
        }
    }

    /// A writer opening a store whose open segment lost its header keeps every block and
    /// writes the header anew, so the sealed segment reads clean.
    @Test func recoveryRewritesADamagedOpenSegmentHeader() throws {
        let store = try Self.makeStore(seed: 97)
        defer { store.dir.remove() }
        // The killed writer's files, copied: the live writer keeps its lock on the original.
        let copy = TemporaryDirectory("damage-copy")
        defer { copy.remove() }
        for name in store.files + ["MANIFEST"] {
            try FileManager.default.copyItem(atPath: store.path(name), toPath: copy.path + "/" + name)
        }
        let open = try #require(copy.files(suffix: ".seg.open").first)
        var bytes = try #require(FileManager.default.contents(atPath: copy.path + "/" + open))
        bytes[20] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: copy.path + "/" + open))
        let writer = try SegmentWriter(directory: copy.path)
        #expect(writer.statistics.recovery.problems.contains { $0.location?.field == "segment header" })
        try writer.close()
        let (back, stats) = try readAll(copy.path)
        #expect(back == store.flows)
        #expect(stats.problems.isEmpty, "\(stats.problems)")
        #expect(try StoreReader(directory: copy.path).verify().isClean)
    }

    /// Found by store-fuzz: a string length written as a two-byte varint that the bytes left
    /// before the varint would hold, but the bytes after it do not, must be an error, not a
    /// read past the payload.
    @Test func aStringLengthIsCheckedAfterItsVarint() throws {
        var decoder = BlockDecoder()
        decoder.payloadVersion = 2   // the layout below lists the block's own dictionaries
        var block = BlockRows()
        // time unit 0, count 1, base end 0, one string: length 3 as 0x83 0x00, then two bytes.
        let raw: [UInt8] = [0, 1, 0, 1, 0x83, 0x00, 0x61, 0x62]
        #expect(throws: BlockDecoder.Malformed.self) {
            try raw.withUnsafeBytes { try decoder.decode($0, since: nil, until: nil, into: &block) }
        }
    }

    /// A payload whose record count is large but whose columns take no bytes (width 0) must
    /// not make the decoder allocate per claimed record beyond the block limit.
    @Test func payloadCountsAreBoundedByTheBlock() throws {
        var decoder = BlockDecoder()
        decoder.payloadVersion = 2   // the layout below lists the block's own dictionaries
        var block = BlockRows()
        // time unit 0, count 2^21 (varint), base end 0, then nothing.
        let raw: [UInt8] = [0, 0x80, 0x80, 0x80, 0x01, 0]
        #expect(throws: BlockDecoder.Malformed.self) {
            try raw.withUnsafeBytes { try decoder.decode($0, since: nil, until: nil, into: &block) }
        }
        // count 10, then 1,000,000 conversations claimed with width-0 columns: more than records.
        var c: [UInt8] = [0, 10, 0, 0, 0, 0, 0, 0, 0, 0]
        c += [0xC0, 0x84, 0x3D, 0]  // conversation count 1,000,000, width 0
        #expect(throws: BlockDecoder.Malformed.self) {
            try c.withUnsafeBytes { try decoder.decode($0, since: nil, until: nil, into: &block) }
        }
    }
}
