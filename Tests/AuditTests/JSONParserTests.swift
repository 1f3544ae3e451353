import FlowCore
import Testing
@testable import Audit

@Suite("JSON parser")
struct JSONParserTests {
    @Test("member order and number text survive a round trip")
    func roundTrip() throws {
        let text = #"{"z":1,"a":[1.10,-0,2e5,true,false,null],"m":{"b":"x\"y\\z\u00e9\ud83d\ude00","a":""}}"#
        let value = try JSONParser.parse(text)
        #expect(value.objectMembers?.map(\.key) == ["z", "a", "m"])
        #expect(value["a"]?.arrayValue?.first == .number("1.10"))
        #expect(value.value(at: "m.b")?.stringValue == "x\"y\\zé😀")
        #expect(try JSONParser.parse(value.compactText) == value)
        #expect(try JSONParser.parse(value.prettyText()) == value)
    }

    @Test("errors say line, column and what", arguments: [
        ("{\"a\":}", 1, 6, "expected a value"),
        ("{\n  \"a\": tru }", 2, 8, "invalid literal"),
        ("[1,2", 1, 5, "unexpected end of input"),
        ("{\"a\":1}x", 1, 8, "unexpected data after"),
        ("\"abc", 1, 1, "unterminated string"),
        ("01", 1, 2, "leading zero"),
        ("\"\\ud800\"", 1, 8, "unpaired UTF-16 surrogate"),
        ("\"a\tb\"", 1, 3, "control character"),
        ("{\"a\" 1}", 1, 6, "expected ':'"),
    ])
    func errors(text: String, line: Int, column: Int, reason: String) {
        do {
            _ = try JSONParser.parse(text)
            Issue.record("parsed \(text)")
        } catch {
            #expect(error.line == line)
            #expect(error.column == column)
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
    }

    @Test("nesting beyond the depth limit is an error, not a stack overflow")
    func depthLimit() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try JSONParser.parse(fine) }
    }

    @Test("documents over the size limit and invalid UTF-8 are rejected")
    func sizeAndEncoding() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse("[1,2,3]", limits: .init(maximumBytes: 4)) }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }
}
