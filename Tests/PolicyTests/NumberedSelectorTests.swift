import FlowCore
import Testing
@testable import Policy

/// `NumberedSelectors` (selectors as integer tests on numbered label maps, what the engine's
/// memo evaluates) against `Selector.matches` (the string matcher) on random selectors and label
/// maps drawn from small alphabets, so keys and values collide often, including values that are
/// equal to Swift's `String ==` but not byte for byte.
@Suite struct NumberedSelectorTests {
    static let keys = ["app", "tier", "pcns.team", "a", "b", "projectcalico.org/namespace", "\u{E9}", "e\u{301}"]
    static let values = ["", "web", "api", "web-1", "1-web", "x", "\u{E9}", "e\u{301}", "we", "b\u{E9}b"]

    struct Generator {
        var rng: SplitMix64
        mutating func pick<T>(_ list: [T]) -> T { list[Int(rng.next() % UInt64(list.count))] }

        mutating func labels() -> [String: String] {
            var map: [String: String] = [:]
            for _ in 0..<Int(rng.next() % 6) { map[pick(NumberedSelectorTests.keys)] = pick(NumberedSelectorTests.values) }
            return map
        }

        /// Literals also outside the maps' values, so selectors name values no map has.
        mutating func literal() -> String { rng.next() % 5 == 0 ? "zz\(rng.next() % 3)" : pick(NumberedSelectorTests.values) }

        mutating func expression(depth: Int) -> SelectorExpression {
            let key = rng.next() % 9 == 0 ? "missing" : pick(NumberedSelectorTests.keys)
            switch rng.next() % (depth > 2 ? 10 : 13) {
            case 0: return .all
            case 1: return .has(key)
            case 2: return .equal(key, literal())
            case 3: return .notEqual(key, literal())
            case 4: return .contains(key, literal())
            case 5: return .startsWith(key, literal())
            case 6: return .endsWith(key, literal())
            case 7: return .member(key, SelectorExpression.sortedSet((0..<Int(rng.next() % 4)).map { _ in literal() }))
            case 8: return .notMember(key, SelectorExpression.sortedSet((0..<Int(rng.next() % 4)).map { _ in literal() }))
            case 9: return .global
            case 10: return .not(expression(depth: depth + 1))
            case 11: return .and((0..<Int(1 + rng.next() % 3)).map { _ in expression(depth: depth + 1) })
            default: return .or((0..<Int(1 + rng.next() % 3)).map { _ in expression(depth: depth + 1) })
            }
        }
    }

    @Test func numberedSelectorsAnswerAsTheStringMatcher() {
        var generator = Generator(rng: SplitMix64(seed: 0x1ABE1))
        var compared = 0, held = 0
        for _ in 0..<40 {
            var numbering = LabelNumbering()
            let maps = (0..<60).map { _ in generator.labels() }
            let numbers = maps.map { numbering.number($0) }
            let selectors = (0..<60).map { _ in Selector(expression: generator.expression(depth: 0)) }
            let numbered = NumberedSelectors(selectors, labels: numbering)
            for (s, selector) in selectors.enumerated() {
                for (map, number) in zip(maps, numbers) {
                    let want = selector.matches(map)
                    compared += 1
                    if want { held += 1 }
                    let got = numbered.matches(s, map: Int(number), labels: numbering)
                    if got != want { Issue.record("\(selector.canonical) on \(map): got \(got), want \(want)") }
                }
            }
        }
        // Both answers are common, so the comparison means something.
        #expect(held > compared / 10 && held < compared - compared / 10, "\(held) of \(compared) held")
    }

    @Test func equalMapsShareANumberAndLookupsFindEveryKey() {
        var numbering = LabelNumbering()
        var generator = Generator(rng: SplitMix64(seed: 0x3A9))
        for _ in 0..<500 {
            var map = generator.labels()
            // Maps larger than the binary search's threshold as well.
            for k in 0..<Int(generator.rng.next() % 30) { map["k\(k)"] = "v\(k % 4)" }
            let number = numbering.number(map)
            #expect(numbering.number(map) == number)
            for (key, value) in map {
                #expect(numbering.value(in: Int(number), key: numbering.key(key)) == numbering.value(value))
            }
            #expect(numbering.value(in: Int(number), key: numbering.key("k999")) == -1)
        }
    }
}
