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

    @Test("the compact text escapes strings byte for byte as JSONText does (stored objects are hashed)")
    func escaping() throws {
        var awkward = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }.joined()
        awkward += "\"quoted\" back\\slash \u{7F} é 日本 🚀 /"
        let value = JSONValue.object([.init(awkward, .array([.string(awkward), .string(""), .number("1.10"), .null, .bool(true)]))])
        let expected = "{" + JSONText.string(awkward) + ":[" + JSONText.string(awkward) + ",\"\",1.10,null,true]}"
        #expect(value.compactText == expected)
        var bytes: [UInt8] = []
        value.encode(into: &bytes)
        #expect(bytes == Array(expected.utf8))
        #expect(try JSONParser.parse(value.compactText) == value)
        #expect(VersionBuilder.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
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

/// A short, deterministic mutation run over the fixture log: the same properties the
/// `audit-event-fuzz` libFuzzer target checks, for every test run (the long runs are in docs/audit.md).
@Suite("Audit input mutations")
struct AuditMutationTests {
    @Test("20,000 mutated lines: nothing crashes, every rejection says why, what parses reads back")
    func mutations() throws {
        let lines = try String(contentsOfFile: AuditFixtures.kubeAuditLog, encoding: .utf8).split(separator: "\n").map { Array($0.utf8) }
        var random = SplitMix64(seed: 12)
        var builder = VersionBuilder()
        var accepted = 0
        for _ in 0..<20_000 {
            var line = lines[Int(random.next() % UInt64(lines.count))]
            for _ in 0..<(1 + random.next() % 4) {
                let position = Int(random.next() % UInt64(max(1, line.count)))
                switch random.next() % 4 {
                case 0 where !line.isEmpty: line[position] = UInt8(truncatingIfNeeded: random.next())
                case 1 where !line.isEmpty: line.remove(at: position)
                case 2: line.insert(Array("{}[]\",:\\0e-9".utf8)[Int(random.next() % 12)], at: min(position, line.count))
                default: line = Array(line.prefix(position))
                }
            }
            switch AuditIngest.decode(line[...]) {
            case .success(let event):
                accepted += 1
                if case .success(let versions) = builder.versions(for: event) {
                    for version in versions {
                        #expect(try ObjectVersion(record: JSONParser.parse(version.record.compactText)) == version)
                    }
                }
            case .failure(let failure):
                #expect(!failure.reason.isEmpty)
            }
        }
        #expect(accepted > 100)
    }
}
