import FlowCore
import Testing
@testable import Policy

/// Rules of calico-semantics §2 that the shared cases do not pin down.
@Suite struct SelectorSemanticsTests {
    @Test func canonicalQuotingAndSetOrder() throws {
        #expect(try Selector(parsing: "a == \"'\"").canonical == "a == \"'\"")
        #expect(try Selector(parsing: "a == '\"'").canonical == "a == '\"'")
        #expect(try Selector(parsing: "a in {'z', \"b\", 'b', \"a\",}").canonical == "a in {\"a\", \"b\", \"z\"}")
        #expect(try Selector(parsing: "a notin{}").canonical == "a not in {}")
        #expect(try Selector(parsing: "a startswith'x'").canonical == "a starts with \"x\"")
        #expect(try Selector(parsing: "!!has(a)").canonical == "has(a)")
        // Parentheses keep a double negation, printed as Calico prints it (found by the fuzzer).
        #expect(try Selector(parsing: "!(!has(a))").canonical == "!!has(a)")
        #expect(try Selector(parsing: "a==\"1\"&&b==\"2\"&&c==\"3\"").canonical == "(a == \"1\" && b == \"2\" && c == \"3\")")
    }

    @Test func newlineIsNotWhitespace() {
        #expect(throws: FlowlogError.self) { try Selector(parsing: "a == \"b\"\n") }
        #expect(throws: FlowlogError.self) { try Selector(parsing: "\r") }
    }

    @Test func spaceBeforeParenthesisOfFunctionsIsAnError() {
        #expect(throws: FlowlogError.self) { try Selector(parsing: "has (a)") }
        #expect(throws: FlowlogError.self) { try Selector(parsing: "all ()") }
        #expect(throws: FlowlogError.self) { try Selector(parsing: "has()") }
        #expect(throws: FlowlogError.self) { try Selector(parsing: "has( foo ") }
    }

    @Test func operatorWordsNeedWordBoundary() throws {
        #expect(throws: FlowlogError.self) { try Selector(parsing: "a ends withs \"x\"") }
        #expect(throws: FlowlogError.self) { try Selector(parsing: "a squiggles \"x\"") }
        #expect(throws: FlowlogError.self) { try Selector(parsing: "a in.x {\"x\"}") }
        #expect(try Selector(parsing: "a contains\"x\"").matches(["a": "yxy"]))
        #expect(try Selector(parsing: "not in {\"a\"}").matches(["not": "a"]))
        #expect(try Selector(parsing: "all == \"x\"").matches(["all": "x"]))
    }

    @Test func errorsCarryColumnAndExpectation() {
        do {
            _ = try Selector(parsing: "a == \"b\" && %")
            Issue.record("expected an error")
        } catch let e as FlowlogError {
            #expect(e.code == .parse)
            #expect(e.location?.column == 13)
            #expect(e.message.contains("expected"))
        } catch { Issue.record("wrong error type \(error)") }
        do {
            _ = try Selector(parsing: "a in {\"x\" \"y\"}")
            Issue.record("expected an error")
        } catch let e as FlowlogError {
            #expect(e.location?.column == 11)
            #expect(e.message.contains("','"))
        } catch { Issue.record("wrong error type \(error)") }
    }

    @Test func comparisonsAreByteExact() throws {
        // "é" precomposed versus e + combining acute: equal to Swift's String ==, not to Calico.
        let s = try Selector(parsing: "a == \"\u{E9}\"")
        #expect(s.matches(["a": "\u{E9}"]))
        #expect(!s.matches(["a": "e\u{301}"]))
    }

    @Test func deepNestingIsRejectedNotCrashing() throws {
        let deep = String(repeating: "(", count: 5000) + "all()" + String(repeating: ")", count: 5000)
        #expect(throws: FlowlogError.self) { try Selector(parsing: deep) }
        let fine = String(repeating: "(", count: 50) + "has(a)" + String(repeating: ")", count: 50)
        #expect(try Selector(parsing: fine).matches(["a": ""]))
    }

    @Test func namespaceScopeRewrite() throws {
        let ns = try Selector(parsing: "global() || env == \"prod\"").namespaceScoped()
        #expect(ns.canonical == "(!has(projectcalico.org/namespace) || pcns.env == \"prod\")")
        #expect(try Selector(parsing: "all()").namespaceScoped().canonical == "has(projectcalico.org/namespace)")
    }

    @Test func equalityFollowsCanonicalForm() throws {
        #expect(try Selector(parsing: "a in {'y','x'}") == Selector(parsing: "a in {\"x\", \"y\", \"x\"}"))
        #expect(try Selector(parsing: "has(a)") != Selector(parsing: "has(b)"))
    }
}
