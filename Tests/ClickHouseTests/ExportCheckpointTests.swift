@testable import ClickHouse
import FlowCore
import SegmentStore
import Testing

@Suite struct ExportCheckpointTests {
    static func sample() -> ExportCheckpoint {
        var c = ExportCheckpoint(storeID: String(repeating: "0123456789abcdef", count: 2), target: "127.0.0.1:8123 flowlog flows")
        c.filter = "verdict deny"
        c.exported = BlockPosition(segment: 3, block: 17)
        c.rowsExported = 123_456
        c.blocksExported = 250
        c.blocksLost = 1
        c.pending = .init(first: BlockPosition(segment: 3, block: 18), last: BlockPosition(segment: 4, block: 2),
                          units: [.init(day: 20261205, rows: 900, minStart: 1, maxStart: 2, queryID: "flowlog-x-3-18-20261205"),
                                  .init(day: 20261206, rows: 100, minStart: 3, maxStart: 4, queryID: "flowlog-x-3-18-20261206")])
        return c
    }

    @Test func roundTrips() throws {
        let c = Self.sample()
        #expect(try ExportCheckpoint.decode(c.encoded(), file: "cp") == c)
        var fresh = ExportCheckpoint(storeID: c.storeID, target: c.target)
        fresh.filter = ""
        #expect(try ExportCheckpoint.decode(fresh.encoded(), file: "cp") == fresh)
    }

    @Test func damageIsReportedWithTheLine() throws {
        var bytes = Self.sample().encoded()
        bytes[60] ^= 0x01
        do {
            _ = try ExportCheckpoint.decode(bytes, file: "cp")
            Issue.record("a flipped bit was not noticed")
        } catch let error as FlowlogError {
            #expect(error.code == .corrupt)
            #expect(error.location?.file == "cp" && error.location?.line != nil)
        }
        let torn = Array(Self.sample().encoded().dropLast(12))
        #expect(throws: FlowlogError.self) { _ = try ExportCheckpoint.decode(torn, file: "cp") }
        #expect(throws: FlowlogError.self) { _ = try ExportCheckpoint.decode(Array("hello\n".utf8), file: "cp") }
    }

    @Test func everyKindReadsFromItsBytesAlone() throws {
        let id = String(repeating: "0123456789abcdef", count: 2)
        let bodies: [CheckpointKind: String] = [
            .flows: "store \(id)\ntarget h:1 d t\nfilter \nexported 3 4\ntotals 5 6 0\n",
            .audit: "store \(id)\ntarget h:1 d t\nexported 17\ntotals 17\npending 18 20 3 q-2\n",
            .reports: "store \(id)\ntarget h:1 d t\ntotals 1 10\ndone r1 abc\n",
        ]
        for kind in CheckpointKind.allCases {
            let file = kind.framed(body: Array(bodies[kind]!.utf8))
            // Written as this flowlog writes it: the canonical form is the file itself.
            #expect(try kind.canonicalForm(of: file, file: "cp") == file)
            for other in CheckpointKind.allCases where other != kind {
                #expect(throws: FlowlogError.self) { _ = try other.canonicalForm(of: file, file: "cp") }
            }
        }
        #expect(try CheckpointKind.flows.canonicalForm(of: Self.sample().encoded(), file: "cp") == Self.sample().encoded())
        // A line the body parser refuses is named by its number.
        do {
            _ = try CheckpointKind.audit.canonicalForm(of: CheckpointKind.audit.framed(body: Array("store x\n".utf8)), file: "cp")
            Issue.record("a malformed store line was accepted")
        } catch let error as FlowlogError {
            #expect(error.location?.file == "cp" && error.location?.line == 2)
        }
    }
}
