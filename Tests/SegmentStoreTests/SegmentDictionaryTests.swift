import FlowCore
import FlowTestSupport
import Foundation
import Testing
@testable import SegmentStore

/// Format version 3: strings, label sets, identities and traces in segment dictionary records,
/// each written twice between the blocks; version 4 the same records with based record columns,
/// prefix-coded IPv6 addresses and predicted outcomes; version 5 outcomes per conversation and
/// counters predicted from the packets. Version 2 (every block its own dictionaries), 3 and 4
/// are the oracles: the same flows written every way read back the same.
@Suite struct SegmentDictionaryTests {
    static func configuration(version: UInt16, blockRecords: Int, segmentMaxBytes: Int = 64 << 20,
                              catalogEntryLimit: Int = EncoderCatalog.defaultEntryLimit, background: Bool = true) -> StoreConfiguration {
        var configuration = StoreConfiguration(blockRecords: blockRecords, segmentMaxBytes: segmentMaxBytes, fsync: .onSeal,
                                               encodesInBackground: background)
        configuration.formatVersion = version
        configuration.catalogEntryLimit = catalogEntryLimit
        return configuration
    }

    /// Randomized flows (every field, edge cases, boxes shared and not), written as versions 2,
    /// 3, 4 and 5 with the same blocks: each reads back as the flows, field for field.
    @Test(arguments: [(UInt64(1), 300, EncoderCatalog.defaultEntryLimit), (2, 1000, 40), (3, 97, 300), (4, 2500, 25)])
    func versionThreeReadsAsVersionTwo(seed: UInt64, blockRecords: Int, catalogLimit: Int) throws {
        var generator = SyntheticFlowGenerator(seed: seed)
        var flows = generator.generate(4000)
        flows.insert(contentsOf: edgeCaseFlows(), at: 1777)
        var random = SplitMix64(seed: seed)
        flows = flows.map { random.next() & 1 == 0 ? EncoderCatalogTests.unshared($0) : $0 }
        var back: [UInt16: [AnnotatedFlow]] = [:]
        var bytes: [UInt16: UInt64] = [:]
        for version: UInt16 in [2, 3, 4, 5] {
            let dir = TemporaryDirectory("v\(version)")
            defer { dir.remove() }
            // Small segments: several segments, each starting its numbering afresh.
            let statistics = try write(flows, to: dir.path, configuration: Self.configuration(
                version: version, blockRecords: blockRecords, segmentMaxBytes: 64 << 10, catalogEntryLimit: catalogLimit),
                batch: 333)
            bytes[version] = statistics.bytesWritten
            let (read, scan) = try readAll(dir.path)
            #expect(scan.problems.isEmpty, "\(scan.problems)")
            back[version] = read
            let verified = try StoreReader(directory: dir.path).verify()
            #expect(verified.isClean, "\(verified.segments.flatMap(\.problems)) \(verified.problems)")
            let segments = dir.files(suffix: ".seg")
            #expect(segments.count > 1, "the test wants several segments")
            let header = try SegmentLayout.read(PosixFile.openForReading(dir.path + "/" + segments[0])).header
            #expect(header.version == version)
        }
        #expect(back[2] == flows)
        #expect(back[3] == flows)
        #expect(back[4] == flows)
        #expect(back[5] == flows)
        // (A catalog bounded to a few dozen entries starts afresh every block or two, and a
        // segment then defines values again: only the default bound says which is smaller.)
        if catalogLimit == EncoderCatalog.defaultEntryLimit { #expect(bytes[3]! < bytes[2]!, "v3 \(bytes[3]!) bytes, v2 \(bytes[2]!)") }
        #expect(bytes[4]! < bytes[3]!, "v4 \(bytes[4]!) bytes, v3 \(bytes[3]!)")
        #expect(bytes[5]! < bytes[4]!, "v5 \(bytes[5]!) bytes, v4 \(bytes[4]!)")
    }

    /// Blocks through the column API (what queries read) give the same rows in both versions.
    @Test func columnReadsAgree() throws {
        var generator = SyntheticFlowGenerator(seed: 9)
        let flows = generator.generate(3000)
        var sums: [UInt16: [String]] = [:]
        for version: UInt16 in [2, 3, 4, 5] {
            let dir = TemporaryDirectory("cols\(version)")
            defer { dir.remove() }
            _ = try write(flows, to: dir.path, configuration: Self.configuration(version: version, blockRecords: 700))
            let reader = try StoreReader(directory: dir.path)
            var lines: [String] = []
            let blocks = try reader.blocks(after: nil).blocks
            let blockReader = StoreBlockReader(reader: reader)
            for block in blocks {
                guard case .read(let read) = try blockReader.read(block.position) else { Issue.record("block \(block.position) unread"); continue }
                lines += read.map { "\($0.flow.sourceAddress) \($0.annotation?.source.name ?? "-") \($0.annotation?.egress?.hits.map(\.name) ?? [])" }
            }
            sums[version] = lines
        }
        #expect(sums[2] == sums[3])
        #expect(sums[3] == sums[4])
        #expect(sums[4] == sums[5])
        #expect(sums[3]?.count == flows.count)
    }

    /// Version 3 keeps one identity per address and an annotation's own only where it differs:
    /// an address reused by another pod within a block, an address seen with different
    /// identities as source and as destination, annotations shared by many conversations and
    /// conversations without one all come back exactly.
    @Test func identitiesThatDifferFromTheirAddressComeBack() throws {
        var generator = SyntheticFlowGenerator(seed: 31)
        let base = generator.generate(2000)
        var random = SplitMix64(seed: 31)
        let shared = IPAddress("10.9.8.7")!
        let flows = base.enumerated().map { i, f -> AnnotatedFlow in
            var copy = f
            switch random.next() % 6 {
            case 0:
                // Many pods behind one address: each flow's own identities.
                copy.flow.sourceAddress = shared
            case 1:
                copy.flow.destinationAddress = shared
            case 2:
                copy.annotation = nil
            case 3:
                if let a = f.annotation {
                    let other = EndpointIdentity(kind: .workload, namespace: "reused", name: "pod-\(i % 7)", aggregatedName: "pod-*",
                                                 labels: ["n": "\(i % 7)"], serviceAccount: "")
                    copy.annotation = FlowAnnotation(source: a.source, destination: other, destinationService: a.destinationService,
                                                     verdict: a.verdict, egress: a.egress, ingress: a.ingress)
                }
            default:
                break
            }
            return copy
        }
        for blockRecords in [64, 500, 5000] {
            for version: UInt16 in [3, 4, 5] {
            let dir = TemporaryDirectory("folded")
            defer { dir.remove() }
            _ = try write(flows, to: dir.path, configuration: Self.configuration(version: version, blockRecords: blockRecords))
            let (back, scan) = try readAll(dir.path)
            #expect(back == flows, "version \(version), blocks of \(blockRecords)")
            #expect(scan.problems.isEmpty)
            #expect(try StoreReader(directory: dir.path).verify().isClean)
            }
        }
    }

    /// Version 5 stores an outcome per conversation; readers give conversations with the same
    /// identities and outcome one annotation, so a block has as many as the version 4 block of
    /// the same flows (and builds as many prepared records).
    @Test func versionFiveSharesAnnotationsAsVersionFourDid() throws {
        var generator = SyntheticFlowGenerator(seed: 41)
        let flows = generator.generate(3000)
        var counts: [UInt16: [Int]] = [:]
        for version: UInt16 in [4, 5] {
            let dir = TemporaryDirectory("share\(version)")
            defer { dir.remove() }
            _ = try write(flows, to: dir.path, configuration: Self.configuration(version: version, blockRecords: 700))
            let file = try PosixFile.openForReading(dir.path + "/" + dir.files(suffix: ".seg")[0])
            defer { file.close() }
            let layout = try SegmentLayout.read(file)
            var reader = BlockReader()
            var rows = BlockRows()
            for block in layout.blocks {
                _ = try reader.read(file, block: block, since: nil, until: nil, into: &rows)
                counts[version, default: []].append(rows.dictionaries!.annotationCount)
            }
        }
        #expect(counts[5] == counts[4])
        #expect(counts[4]!.count == 5 && counts[4]!.allSatisfy { $0 > 1 }, "\(counts)")
    }

    /// Version 4 writes an IPv6 address as the bytes it does not share with the one before:
    /// the all-zero address, neighbours differing in the last byte only, addresses differing in
    /// the first byte and in each byte position all come back, in blocks of every size.
    @Test func prefixCodedIPv6AddressesComeBack() throws {
        var generator = SyntheticFlowGenerator(seed: 12)
        let base = generator.generate(1200)
        var addresses = ["::", "::1", "::2", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::1", "2001:db8::100",
                         "2001:db8:0:1::1", "fe80::1", "fe80::1:0:0:1", "8000::"].map { IPAddress($0)! }
        for position in 0..<16 {
            var bytes = [UInt8](repeating: 0x20, count: 16)
            bytes[position] = 0x21
            let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            addresses.append(IPAddress(ipv6High: high, low: low))
        }
        let flows = base.enumerated().map { i, f -> AnnotatedFlow in
            var copy = f
            if i % 3 != 0 {
                copy.flow.sourceAddress = addresses[i % addresses.count]
                copy.flow.destinationAddress = addresses[(i / 7) % addresses.count]
            }
            return copy
        }
        for blockRecords in [1, 17, 400] {
            for version: UInt16 in [4, 5] {
                let dir = TemporaryDirectory("v6")
                defer { dir.remove() }
                _ = try write(flows, to: dir.path, configuration: Self.configuration(version: version, blockRecords: blockRecords))
                let (back, scan) = try readAll(dir.path)
                #expect(back == flows, "version \(version), blocks of \(blockRecords)")
                #expect(scan.problems.isEmpty)
            }
        }
    }

    // MARK: - Damage

    /// Flows in four blocks of 500: block 2's endpoints and node are its own (its dictionary
    /// record holds them and nothing else uses them); block 3 repeats block 0's annotations.
    static func dependencyFlows() -> [AnnotatedFlow] {
        var generator = SyntheticFlowGenerator(seed: 77)
        let first = generator.generate(1000)
        func own(_ f: AnnotatedFlow) -> AnnotatedFlow {
            var copy = f
            copy.node = "node-only-in-block-2"
            if let a = f.annotation {
                func renamed(_ i: EndpointIdentity) -> EndpointIdentity {
                    EndpointIdentity(kind: i.kind, namespace: "lost-" + i.namespace, name: "lost-" + i.name,
                                     aggregatedName: "lost-" + i.aggregatedName, labels: ["only": "block-2"],
                                     serviceAccount: "lost-" + i.serviceAccount)
                }
                copy.annotation = FlowAnnotation(source: renamed(a.source), destination: renamed(a.destination),
                                                 destinationService: "", verdict: a.verdict)
            }
            return copy
        }
        let second = first[0..<500].map(own)
        let shift = Timestamp(nanoseconds: 1_000_000_000)
        let third = first[0..<500].map { f -> AnnotatedFlow in
            var copy = f
            copy.flow.start = Timestamp(nanoseconds: f.flow.start.nanoseconds + shift.nanoseconds)
            copy.flow.end = Timestamp(nanoseconds: f.flow.end.nanoseconds + shift.nanoseconds)
            return copy
        }
        return Array(first) + second + third
    }

    /// Where each block's dictionary record copies are: the bytes before each block, halved.
    static func recordCopies(_ path: String) throws -> [Int: [(offset: Int, length: Int)]] {
        let layout = try SegmentLayout.read(PosixFile.openForReading(path), dictionaries: false)
        var copies: [Int: [(offset: Int, length: Int)]] = [:]
        var previousEnd = SegmentFormat.segmentHeaderSize
        for (i, block) in layout.blocks.enumerated() {
            let gap = Int(block.offset) - previousEnd
            if gap > 0 {
                #expect(gap % 2 == 0)
                copies[i] = [(previousEnd, gap / 2), (previousEnd + gap / 2, gap / 2)]
            }
            previousEnd = Int(block.offset) + Int(block.length)
        }
        return copies
    }

    static func flip(_ path: String, at offsets: [Int]) throws {
        var bytes = try #require(FileManager.default.contents(atPath: path))
        for offset in offsets { bytes[offset] ^= 0x5A }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test(arguments: [true, false])
    func oneDamagedCopyCostsNothing(sealed: Bool) throws {
        let flows = Self.dependencyFlows()
        let dir = TemporaryDirectory("one-copy")
        defer { dir.remove() }
        _ = try write(flows, to: dir.path, configuration: Self.configuration(version: SegmentFormat.version, blockRecords: 500))
        let path = dir.path + "/" + dir.files(suffix: ".seg")[0]
        let copies = try Self.recordCopies(path)
        #expect(copies[0] != nil && copies[2] != nil && copies[3] == nil, "\(copies.keys.sorted())")
        // Block 0's first copy: a payload byte; block 2's second copy: a header byte.
        try Self.flip(path, at: [copies[0]![0].offset + copies[0]![0].length - 3, copies[2]![1].offset + 17])
        if !sealed { try Self.unseal(dir: dir, path: path) }
        let (back, scan) = try readAll(dir.path)
        #expect(back == flows)
        #expect(scan.problems.isEmpty, "\(scan.problems)")
        // verify reports the damage (nothing was lost, but the disk is damaged).
        let report = try StoreReader(directory: dir.path).verify()
        let problems = report.segments.flatMap(\.problems)
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.allSatisfy { $0.location?.field == "dictionary record" || $0.location?.field == "dictionary record header" })
        #expect(problems.allSatisfy { $0.location?.file?.contains(".seg") == true && $0.location?.offset != nil }, "\(problems)")
    }

    @Test(arguments: [true, false])
    func bothCopiesLostCostOnlyTheBlocksThatUseThem(sealed: Bool) throws {
        let flows = Self.dependencyFlows()
        let dir = TemporaryDirectory("both-copies")
        defer { dir.remove() }
        _ = try write(flows, to: dir.path, configuration: Self.configuration(version: SegmentFormat.version, blockRecords: 500))
        let path = dir.path + "/" + dir.files(suffix: ".seg")[0]
        let copies = try Self.recordCopies(path)
        let record = try #require(copies[2])
        try Self.flip(path, at: [record[0].offset + 30, record[1].offset + record[1].length - 1])
        if !sealed { try Self.unseal(dir: dir, path: path) }
        let (back, scan) = try readAll(dir.path)
        // Blocks 0, 1 and 3 read; block 2 is reported with its file, offset and flows.
        #expect(back == Array(flows[0..<1000]) + Array(flows[1500...]))
        let damaged = scan.problems.filter { $0.flowsMissing ?? 0 > 0 }
        #expect(damaged.count == 1, "\(scan.problems)")
        #expect(damaged.first?.flowsMissing == 500)
        #expect(damaged.first?.error.message.contains("lost with a damaged dictionary record") == true, "\(damaged)")
        #expect(damaged.first?.error.location?.offset != nil)
        let report = try StoreReader(directory: dir.path).verify()
        #expect(!report.isClean)
        #expect(report.segments.flatMap(\.problems).contains { $0.message.contains("lost with a damaged dictionary record") })
    }

    /// The block a writer seals its segment after (on close) has its dictionary record once:
    /// only that block uses the entries. A one-block store reads back and verifies clean; the
    /// record's loss costs that block, reported with its file and flows, as the block's own
    /// damage would. Blocks cut before the close keep two copies.
    @Test func theClosingBlocksRecordIsWrittenOnce() throws {
        var generator = SyntheticFlowGenerator(seed: 41)
        let flows = generator.generate(300)
        let dir = TemporaryDirectory("closing")
        defer { dir.remove() }
        _ = try write(flows, to: dir.path, configuration: Self.configuration(version: SegmentFormat.version, blockRecords: 1000))
        let path = dir.path + "/" + dir.files(suffix: ".seg")[0]
        let layout = try SegmentLayout.read(PosixFile.openForReading(path), dictionaries: false)
        #expect(layout.blocks.count == 1)
        let gap = Int(layout.blocks[0].offset) - SegmentFormat.segmentHeaderSize
        let bytes = try #require(FileManager.default.contents(atPath: path))
        let header = try bytes.withUnsafeBytes { raw in
            try DictionaryRecordHeader.decode(raw, at: SegmentFormat.segmentHeaderSize)
        }
        #expect(header?.totalSize == gap, "one record copy fills the gap before the block")
        let (back, scan) = try readAll(dir.path)
        #expect(back == flows)
        #expect(scan.problems.isEmpty)
        #expect(try StoreReader(directory: dir.path).verify().isClean)

        try Self.flip(path, at: [SegmentFormat.segmentHeaderSize + gap - 3])
        let (after, damaged) = try readAll(dir.path)
        #expect(after.isEmpty)
        let lost = damaged.problems.filter { $0.flowsMissing ?? 0 > 0 }
        #expect(lost.count == 1, "\(damaged.problems)")
        #expect(lost.first?.flowsMissing == 300)
        #expect(lost.first?.error.location?.file?.contains(".seg") == true)
        #expect(!(try StoreReader(directory: dir.path).verify().isClean))

        // Three blocks: the two cut while appending have their records twice, the one the
        // close cuts once.
        let more = TemporaryDirectory("closing-more")
        defer { more.remove() }
        var others = SyntheticFlowGenerator(seed: 42)
        let three = others.generate(250)
        _ = try write(three, to: more.path, configuration: Self.configuration(version: SegmentFormat.version, blockRecords: 100))
        let morePath = more.path + "/" + more.files(suffix: ".seg")[0]
        let blocks = try SegmentLayout.read(PosixFile.openForReading(morePath), dictionaries: false).blocks
        #expect(blocks.count == 3)
        let file = try #require(FileManager.default.contents(atPath: morePath))
        var previousEnd = SegmentFormat.segmentHeaderSize
        for (i, block) in blocks.enumerated() {
            let gap = Int(block.offset) - previousEnd
            if gap > 0 {
                let record = try file.withUnsafeBytes { raw in try DictionaryRecordHeader.decode(raw, at: previousEnd) }
                let size = try #require(record?.totalSize)
                #expect(gap == size * (i == 2 ? 1 : 2), "block \(i): \(gap) bytes of records, one is \(size)")
            }
            previousEnd = Int(block.offset) + Int(block.length)
        }
        let (threeBack, threeScan) = try readAll(more.path)
        #expect(threeBack == three)
        #expect(threeScan.problems.isEmpty)
    }

    /// The last block's record lost: no later record says where the lost entries were, so
    /// the blocks using them find their references out of range, and are reported.
    @Test func lostLastRecordCostsItsBlock() throws {
        let flows = Self.dependencyFlows()
        let dir = TemporaryDirectory("last-record")
        defer { dir.remove() }
        _ = try write(Array(flows[0..<1500]), to: dir.path, configuration: Self.configuration(version: SegmentFormat.version, blockRecords: 500))
        let path = dir.path + "/" + dir.files(suffix: ".seg")[0]
        let record = try #require(try Self.recordCopies(path)[2])
        try Self.flip(path, at: [record[0].offset + 60, record[1].offset + 60])
        let (back, scan) = try readAll(dir.path)
        #expect(back == Array(flows[0..<1000]))
        #expect(scan.problems.filter { $0.flowsMissing == 500 }.count == 1, "\(scan.problems)")
        #expect(scan.problems.contains { $0.error.message.contains("lost with a damaged dictionary record") })
    }

    /// Makes the sealed segment an open one again (index and footer cut off), as a writer
    /// killed before sealing leaves it: readers then find records and blocks by walking.
    static func unseal(dir: TemporaryDirectory, path: String) throws {
        let layout = try SegmentLayout.read(PosixFile.openForReading(path), dictionaries: false)
        let footer = try #require(layout.footer)
        let bytes = try #require(FileManager.default.contents(atPath: path))
        let openPath = String(path.dropLast(SegmentFormat.sealedSuffix.count)) + SegmentFormat.openSuffix
        try Data(bytes[0..<Int(footer.indexOffset)]).write(to: URL(fileURLWithPath: openPath))
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.removeItem(atPath: dir.path + "/" + SegmentFormat.manifestName)
    }

    // MARK: - Torn tail

    /// A writer killed while appending a record and its block: every cut inside the last
    /// (records + block) leaves the earlier blocks, which recovery keeps and seals.
    @Test func tornTailKeepsEveryCompleteBlock() throws {
        let flows = Self.dependencyFlows()
        let source = TemporaryDirectory("torn-source")
        defer { source.remove() }
        _ = try write(flows, to: source.path, configuration: Self.configuration(version: SegmentFormat.version, blockRecords: 500))
        let sealed = source.path + "/" + source.files(suffix: ".seg")[0]
        let layout = try SegmentLayout.read(PosixFile.openForReading(sealed), dictionaries: false)
        let bytes = try #require(FileManager.default.contents(atPath: sealed))
        let thirdEnd = Int(layout.blocks[1].offset) + Int(layout.blocks[1].length)
        let fourthStart = Int(layout.blocks[2].offset)
        let end = Int(layout.blocks[2].offset) + Int(layout.blocks[2].length)
        // Inside the first copy, between copies, inside the second, inside the block's header
        // and payload, and one byte short of the end.
        let gap = fourthStart - thirdEnd
        for cut in [thirdEnd + 5, thirdEnd + gap / 2, thirdEnd + gap / 2 + 40, fourthStart + 10, (fourthStart + end) / 2, end - 1] {
            let dir = TemporaryDirectory("torn")
            defer { dir.remove() }
            let path = dir.path + "/" + SegmentFormat.fileName(sequence: 1, open: true)
            try Data(bytes[0..<cut]).write(to: URL(fileURLWithPath: path))
            let writer = try SegmentWriter(directory: dir.path)
            let report = writer.statistics.recovery
            try writer.close()
            #expect(report.blocksKept == 2, "cut at \(cut)")
            #expect(report.flowsKept == 1000)
            #expect(report.bytesTruncated == UInt64(cut - thirdEnd))
            let (back, scan) = try readAll(dir.path)
            #expect(back == Array(flows[0..<1000]), "cut at \(cut)")
            #expect(scan.problems.isEmpty, "cut at \(cut): \(scan.problems)")
            #expect(try StoreReader(directory: dir.path).verify().isClean)
        }
    }

    // MARK: - Older versions

    /// A store written by the version 2 writer (`Fixtures/v2-store`: `fixtureFlows()` in blocks
    /// of 256, see Fixtures/README.md) reads back as the flows it was made of, and verifies.
    @Test func versionTwoFixtureStillReads() throws {
        let fixture = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).path + "/v2-store"
        let dir = TemporaryDirectory("v2-fixture")
        defer { dir.remove() }
        for name in try FileManager.default.contentsOfDirectory(atPath: fixture) {
            try FileManager.default.copyItem(atPath: fixture + "/" + name, toPath: dir.path + "/" + name)
        }
        let segment = dir.path + "/" + dir.files(suffix: ".seg")[0]
        #expect(try SegmentLayout.read(PosixFile.openForReading(segment)).header.version == 2)
        let (back, scan) = try readAll(dir.path)
        #expect(back == Self.fixtureFlows())
        #expect(scan.problems.isEmpty)
        #expect(try StoreReader(directory: dir.path).verify().isClean)
        // A writer opening it adds version 3 segments beside it; both read.
        var generator = SyntheticFlowGenerator(seed: 5)
        let more = generator.generate(100)
        _ = try write(more, to: dir.path)
        let (all, _) = try readAll(dir.path)
        #expect(all == Self.fixtureFlows() + more)
    }

    /// A store written by the version 3 writer (`Fixtures/v3-store`) and one written by the
    /// version 4 writer (`Fixtures/v4-store`), both `fixtureFlows()` in blocks of 256 (see
    /// Fixtures/README.md), read back as the flows they were made of, and verify; a writer adds
    /// segments of the current version beside them.
    @Test(arguments: [UInt16(3), 4])
    func olderFixtureStillReads(version: UInt16) throws {
        let fixture = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).path + "/v\(version)-store"
        let dir = TemporaryDirectory("v\(version)-fixture")
        defer { dir.remove() }
        for name in try FileManager.default.contentsOfDirectory(atPath: fixture) {
            try FileManager.default.copyItem(atPath: fixture + "/" + name, toPath: dir.path + "/" + name)
        }
        let segment = dir.path + "/" + dir.files(suffix: ".seg")[0]
        #expect(try SegmentLayout.read(PosixFile.openForReading(segment)).header.version == version)
        let (back, scan) = try readAll(dir.path)
        #expect(back == Self.fixtureFlows())
        #expect(scan.problems.isEmpty)
        #expect(try StoreReader(directory: dir.path).verify().isClean)
        var generator = SyntheticFlowGenerator(seed: 6)
        let more = generator.generate(100)
        _ = try write(more, to: dir.path)
        let (all, _) = try readAll(dir.path)
        #expect(all == Self.fixtureFlows() + more)
        let newest = dir.path + "/" + dir.files(suffix: ".seg").sorted().last!
        #expect(try SegmentLayout.read(PosixFile.openForReading(newest)).header.version == SegmentFormat.version)
    }

    static func fixtureFlows() -> [AnnotatedFlow] {
        var generator = SyntheticFlowGenerator(seed: 2)
        return generator.generate(600) + edgeCaseFlows()
    }
}
