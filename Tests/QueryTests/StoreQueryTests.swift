#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore
import SegmentStore
import Testing
@testable import Query

/// The engine over a real segment store: the same answers as over memory, pruning that
/// skips only unmatched blocks, and clear errors for unusable directories.
@Suite struct StoreQueryTests {
    static func temporaryDirectory() -> String {
        var template = Array("/tmp/flowlog-query-tests-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        return path
    }

    static func removeTree(_ path: String) {
        guard let dir = opendir(path) else { return }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { unlink(path + "/" + name) }
        }
        closedir(dir)
        rmdir(path)
    }

    /// Flows clustered by source namespace, 64 per block, in a store and in memory alike.
    /// Rows come out oldest first across segments and blocks written in end order, streamed
    /// with fewer rows held than flows, and the same as the sorted answer.
    @Test func rowsAreInTimeOrderAcrossSegments() throws {
        let flows = Self.flows.sorted { $0.flow.end < $1.flow.end }
        let dir = Self.temporaryDirectory()
        defer { Self.removeTree(dir) }
        let writer = try SegmentWriter(directory: dir, configuration: StoreConfiguration(blockRecords: 64, segmentMaxBytes: 4096,
                                                                                          fsync: .onSeal))
        try writer.append(flows)
        try writer.close()
        let plan = QueryPlan(filter: try FilterProgram(parsing: ""), format: .csv, fields: [.startTime, .sourceIP, .destIP])
        var out = OutputBuffer(target: .memory)
        let stats = try QueryEngine.run(plan, directory: dir, into: &out)
        #expect(stats.segmentsTotal >= 2)
        let starts = CSVReader.rows(out.text).dropFirst().map { $0[0] }
        #expect(starts.count == flows.count)
        #expect(starts == starts.sorted())
        #expect(stats.peakRowsHeld < flows.count)
    }

    static func makeStore(_ flows: [AnnotatedFlow]) throws -> String {
        let dir = temporaryDirectory()
        let writer = try SegmentWriter(directory: dir, configuration: StoreConfiguration(blockRecords: 64, fsync: .onSeal))
        try writer.append(flows)
        try writer.close()
        return dir
    }

    static let flows = SampleFlows.make(count: 3200, seed: 9, clustered: true)

    func run(_ filter: String, directory: String, groupBy: String = "") throws -> (String, QueryStatistics) {
        let plan = QueryPlan(filter: try FilterProgram(parsing: filter), format: .csv,
                             groupBy: groupBy.isEmpty ? [] : try OutputField.list(groupBy, option: "--group-by"))
        var out = OutputBuffer(target: .memory)
        let stats = try QueryEngine.run(plan, directory: directory, into: &out)
        return (out.text, stats)
    }

    @Test func storeAnswersMatchBruteForceAndPruneSoundly() throws {
        let dir = try Self.makeStore(Self.flows)
        defer { Self.removeTree(dir) }
        let filters = ["src.namespace shop", "src.namespace db and verdict deny", "dst.port 5432 or src.ip 10.4.0.0/16",
                       "policy lockdown and not src.namespace payments", "node node-1 and bytes > 50k",
                       "src.labels \"app == 'web'\"", ""]
        for filter in filters {
            let program = try FilterProgram(parsing: filter)
            let expected = Self.flows.filter { program.matches($0) }
            let (text, stats) = try run(filter, directory: dir)
            let rows = CSVReader.rows(text).dropFirst()
            #expect(rows.count == expected.count, "\(filter)")
            #expect(stats.flowsMatched == UInt64(expected.count), "\(filter)")
            #expect(stats.blocksTotal == 50)
            // Rows are the expected flows in store order: same ports and start times.
            let starts = rows.map { $0[0] }
            #expect(starts == expected.map { $0.flow.start.rfc3339 }, "\(filter)")
            if filter.hasPrefix("src.namespace") {
                #expect(stats.blocksPrunedByFilter >= 35, "\(filter): only \(stats.blocksPrunedByFilter) pruned")
                #expect(stats.flowsScanned < UInt64(Self.flows.count) / 2)
            }
        }
    }

    /// Every output format prints the same text from the store as from the same flows in
    /// memory (the store shares label sets and traces between flows; memory does not).
    @Test(arguments: [OutputFormat.csv, .ndjson, .json, .table])
    func storeAndMemoryPrintTheSame(_ format: OutputFormat) throws {
        let dir = try Self.makeStore(Self.flows)
        defer { Self.removeTree(dir) }
        let plan = QueryPlan(filter: try FilterProgram(parsing: "not src.namespace kube-system"), format: format,
                             fields: format == .table ? nil : OutputField.allCases)
        var fromStore = OutputBuffer(target: .memory)
        _ = try QueryEngine.run(plan, directory: dir, into: &fromStore)
        var fromMemory = OutputBuffer(target: .memory)
        _ = try QueryEngine.run(plan, over: InMemoryFlowSource(flows: Self.flows, blockSize: 64), into: &fromMemory)
        #expect(fromStore.count > 100_000)
        #expect(fromStore.text == fromMemory.text)
    }

    @Test func groupByOverTheStore() throws {
        let dir = try Self.makeStore(Self.flows)
        defer { Self.removeTree(dir) }
        let (text, stats) = try run("verdict deny", directory: dir, groupBy: "src.namespace")
        var expected: [String: UInt64] = [:]
        for f in Self.flows where f.annotation?.verdict == .deny { expected[f.annotation!.source.namespace, default: 0] += 1 }
        var got: [String: UInt64] = [:]
        for row in CSVReader.rows(text).dropFirst() { got[row[0]] = UInt64(row[1]) }
        #expect(got == expected)
        #expect(stats.groups == expected.count)
    }

    @Test func unusableDirectoriesFailClearly() throws {
        #expect(throws: FlowlogError.self) { try run("", directory: "/nonexistent/flowlog-store") }
        do {
            _ = try run("", directory: "/nonexistent/flowlog-store")
        } catch let e as FlowlogError {
            #expect(e.code == .fileNotFound)
            #expect(e.description.contains("/nonexistent/flowlog-store"))
        }
        let empty = Self.temporaryDirectory()
        defer { Self.removeTree(empty) }
        do {
            _ = try run("", directory: empty)
            Issue.record("an empty directory was accepted")
        } catch let e as FlowlogError {
            #expect(e.message.contains("empty"))
        }
    }

    /// A segment header claiming format version 99 (checksum recomputed, so only the version
    /// is wrong) must stop the query with the store's newer-format error.
    @Test func newerSegmentFormatIsRefused() throws {
        let dir = try Self.makeStore(Array(Self.flows.prefix(100)))
        defer { Self.removeTree(dir) }
        guard let d = opendir(dir) else { Issue.record("cannot list \(dir)"); return }
        var segment: String?
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".seg") { segment = dir + "/" + name }
        }
        closedir(d)
        let path = try #require(segment)
        let fd = open(path, O_RDWR)
        #expect(fd >= 0)
        var header = [UInt8](repeating: 0, count: 32)
        #expect(pread(fd, &header, 32, 0) == 32)
        header[4] = 99
        header[5] = 0
        let crc = Self.crc32c(header[0..<28])
        for i in 0..<4 { header[28 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        #expect(pwrite(fd, header, 32, 0) == 32)
        close(fd)
        do {
            _ = try run("", directory: dir)
            Issue.record("a newer segment was read")
        } catch let e as FlowlogError {
            #expect(e.code == .newerFormat)
            #expect(e.message.contains("newer"))
        }
    }

    /// CRC-32C (Castagnoli, reflected 0x82F63B78), bit by bit: enough for one header.
    static func crc32c(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }
}
