import FlowCore
import Foundation
import Testing
@testable import Policy

private struct SelectorCase: Decodable, CustomStringConvertible {
    var selector: String
    var labels: [String: String]?
    var matches: Bool?
    var error: Bool?
    var note: String
    var description: String { "\(note): \(selector.prefix(60))" }
}

private let selectorCases: [SelectorCase] = {
    guard let data = try? FixtureFiles.data("selector-cases.json") else { return [] }
    return (try? JSONDecoder().decode([SelectorCase].self, from: data)) ?? []
}()

@Suite struct SelectorConformanceTests {
    @Test func casesAreLoaded() {
        #expect(selectorCases.count >= 90)
    }

    @Test(arguments: selectorCases)
    fileprivate func selectorCase(_ c: SelectorCase) throws {
        if c.error == true {
            #expect(throws: FlowlogError.self) { try Selector(parsing: c.selector) }
            return
        }
        let selector = try Selector(parsing: c.selector)
        #expect(selector.matches(c.labels ?? [:]) == c.matches)
        // The canonical form parses back to the same meaning and the same text.
        let again = try Selector(parsing: selector.canonical)
        #expect(again.canonical == selector.canonical)
        #expect(again.matches(c.labels ?? [:]) == c.matches)
    }

    // Upstream's canonicalisation vectors (libcalico-go parser tests).
    @Test(arguments: [
        ("", "all()", "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug"),
        (" all() ", "all()", "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug"),
        (" (all() )", "all()", "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug"),
        ("! (has( b)||! has(a ))", "!(has(b) || !has(a))", "s:Iss0uCleLYv1GSv_pNm7hAO58kE9jAx1NKyG3Q"),
        ("! (a == \"b\"&&! c != \"d\")", "!(a == \"b\" && !c != \"d\")", "s:lh3haoY1ikTRkd4UZu0nWSaIBknYLPJLX16d-w"),
    ])
    func canonicalFormAndUID(_ input: String, _ canonical: String, _ uid: String) throws {
        let s = try Selector(parsing: input)
        #expect(s.canonical == canonical)
        #expect(s.uid == uid)
    }
}
