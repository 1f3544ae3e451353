@testable import ClickHouse
import FlowCore
import FlowTestSupport
import SegmentStore
import Testing

@Suite struct RowBinaryRoundTripTests {
    @Test func everyFieldOfEveryFlowSurvivesEncodeAndDecode() throws {
        var generator = SyntheticFlowGenerator(seed: 3, pods: 80, namespaces: 8)
        let names = [DomainNames(["api.example.com"]), .none, DomainNames(["www.example.org", "edge.cdn.example.net"])]
        let flows = generator.generate(5000).enumerated().map { i, flow in
            var f = flow
            f.destinationDomains = names[i % names.count]
            return f
        }
        var encoder = FlowRowEncoder(storeID: String(repeating: "ab", count: 16))
        var writer = RowBinaryWriter()
        for (i, f) in flows.enumerated() {
            encoder.append(f, at: BlockPosition(segment: 9, block: 4), row: UInt32(i), into: &writer)
        }
        var reader = RowBinaryReader(writer.bytes)
        var decoder = FlowRowDecoder(columns: FlowColumn.allCases)
        var decoded: [AnnotatedFlow] = []
        while !reader.isAtEnd { decoded.append(try decoder.decodeRow(&reader)) }
        #expect(decoded.count == flows.count)
        for (a, b) in zip(flows, decoded) where a != b {
            Issue.record("flow differs after the round trip:\n\(a)\n\(b)")
            break
        }
        #expect(flows.contains { $0.annotation == nil } && flows.contains { $0.annotation?.pendingIngress != nil })
    }

    @Test func truncatedAnswersAreErrorsNotCrashes() throws {
        var generator = SyntheticFlowGenerator(seed: 4)
        var encoder = FlowRowEncoder(storeID: String(repeating: "0", count: 32))
        var writer = RowBinaryWriter()
        encoder.append(generator.next(), at: BlockPosition(segment: 1, block: 0), row: 0, into: &writer)
        var decoder = FlowRowDecoder(columns: FlowColumn.allCases)
        for cut in stride(from: 0, to: writer.bytes.count, by: 7) {
            var reader = RowBinaryReader(Array(writer.bytes[0..<cut]))
            #expect(throws: FlowlogError.self) { var d = decoder; _ = try d.decodeRow(&reader) }
        }
        // A length prefix claiming more than the limit.
        var reader = RowBinaryReader([0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: FlowlogError.self) { _ = try reader.string() }
    }
}

@Suite struct SQLLiteralTests {
    @Test func quotesEscapeEverythingThatCouldEndTheLiteral() {
        #expect(SQLLiteral.string("shop") == "'shop'")
        #expect(SQLLiteral.string("o'brien") == "'o\\'brien'")
        #expect(SQLLiteral.string("a\\b") == "'a\\\\b'")
        #expect(SQLLiteral.string("x'); DROP TABLE flows; --") == "'x\\'); DROP TABLE flows; --'")
        #expect(SQLLiteral.string("line\nbreak\u{0}") == "'line\\x0abreak\\x00'")
        #expect(SQLLiteral.identifier("we`ird") == "`we\\`ird`")
        #expect(SQLLiteral.bytes([0, 255]) == "'\\x00\\xff'")
    }
}
