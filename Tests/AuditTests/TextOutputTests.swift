import Foundation
import Testing
@testable import Audit

@Suite("YAML, diffs and patches")
struct TextOutputTests {
    @Test("YAML quotes what a reader would take for something else")
    func yamlQuoting() throws {
        let value = try JSONParser.parse(#"{"a":"true","b":"1.0","c":"plain-text.ok","d":"x: y","e":"","f":[],"g":{},"h":"null","i":"- x","j":["on",5]}"#)
        #expect(YAMLText.document(value) == """
            a: "true"
            b: "1.0"
            c: plain-text.ok
            d: "x: y"
            e: ""
            f: []
            g: {}
            h: "null"
            i: "- x"
            j:
            - "on"
            - 5

            """)
    }

    @Test("a unified diff matches diff -u: removals first, three lines of context, hunks merged when close")
    func unifiedDiff() {
        let old = (1...20).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let new = old.replacingOccurrences(of: "line 5\n", with: "line five\n") + "line 21\n"
        // Expected texts are what GNU diff -u prints for the same files.
        #expect(UnifiedDiff.lines(from: old, to: new, oldLabel: "a", newLabel: "b") == """
            --- a
            +++ b
            @@ -2,7 +2,7 @@
             line 2
             line 3
             line 4
            -line 5
            +line five
             line 6
             line 7
             line 8
            @@ -18,3 +18,4 @@
             line 18
             line 19
             line 20
            +line 21

            """)
        let short = (1...10).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let shortNew = short.replacingOccurrences(of: "line 5\n", with: "line five\n") + "line 11\n"
        #expect(UnifiedDiff.lines(from: short, to: shortNew, oldLabel: "a", newLabel: "b").hasPrefix("--- a\n+++ b\n@@ -2,9 +2,10 @@\n"))
        #expect(UnifiedDiff.lines(from: old, to: old, oldLabel: "a", newLabel: "b") == "")
    }

    @Test("JSON Patch: members, arrays growing and shrinking, escaped names")
    func patches() throws {
        let pairs = [
            (#"{"a":1,"b":[1,2,3],"c/d":{"e~f":1}}"#, #"{"b":[1,9],"c/d":{"e~f":2},"z":null}"#),
            (#"[1,2]"#, #"[1,2,3,4]"#),
            (#"{"a":{"b":[{"x":1}]}}"#, #"{"a":{"b":[]}}"#),
            (#"{"a":1}"#, #"[1]"#),
        ]
        for (a, b) in pairs {
            let before = try JSONParser.parse(a), after = try JSONParser.parse(b)
            let patch = JSONPatch.difference(from: before, to: after)
            #expect(try JSONPatch.apply(patch, to: before) == after, "\(patch.compactText)")
        }
        let patch = JSONPatch.difference(from: try JSONParser.parse(#"{"c/d":{"e~f":1}}"#), to: try JSONParser.parse(#"{"c/d":{"e~f":2}}"#))
        #expect(patch.compactText == #"[{"op":"replace","path":"/c~1d/e~0f","value":2}]"#)
    }
}
