import FlowCore
import Testing
@testable import Reports

@Suite struct ReportIDTests {
    @Test func sha1MatchesTheStandardVectors() {
        func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(SHA1.digest(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(SHA1.digest([UInt8](repeating: 0x61, count: 1000))) == "291e9a6c66994949b57ba5e650361e98fc36b1ba")
        #expect(hex(SHA1.digest([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }

    @Test func uuid5InTheURLNamespace() {
        // RFC 9562 / Python's uuid.uuid5(NAMESPACE_URL, "http://python.org/").
        #expect(ReportID.uuid5(name: "http://python.org/") == "4c565f0d-3f5a-5890-b41b-20cf47701c5e")
    }

    @Test func idsAreCalicosDeterministicForm() {
        let start = Timestamp(rfc3339: "2026-11-02T09:00:00Z")!, end = Timestamp(rfc3339: "2026-11-02T10:00:00Z")!
        let id = ReportID.make(name: "demo-network-access", type: .networkAccess, start: start, end: end)
        #expect(id == "demo-network-access_network-access_f720dfde-c651-5f84-8efc-c561b8af1d88")
        // Sub-second parts do not change the id: Calico formats whole seconds.
        let later = Timestamp(nanoseconds: end.nanoseconds + 999_999_999)
        #expect(ReportID.make(name: "demo-network-access", type: .networkAccess, start: start, end: later) == id)
        #expect(ReportID.make(name: "demo-network-access", type: .inventory, start: start, end: end) != id)
        #expect(ReportID.make(name: "other", type: .networkAccess, start: start, end: end).hasPrefix("other_network-access_"))
    }
}
