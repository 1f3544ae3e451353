import FlowCore
import Testing
@testable import Policy

/// `Selector.and` writes the canonical form of the two-part `and` from its parts' canonical
/// forms instead of spelling the whole expression out again; on random selectors (nested,
/// scoped, `all()` on either side) it must be the text the expression itself gives, and the
/// combined selector must match the label maps the expression does.
@Suite struct SelectorCombiningTests {
    @Test func andKeepsTheExpressionsCanonicalForm() {
        var generator = NumberedSelectorTests.Generator(rng: SplitMix64(seed: 0xA4D))
        var combined = 0
        for _ in 0..<4000 {
            var left = Selector(expression: generator.expression(depth: 0))
            let right = Selector(expression: generator.expression(depth: 0))
            switch generator.rng.next() % 4 {
            case 0: left = left.namespaceScoped()
            case 1: left = left.and(Selector(expression: generator.expression(depth: 1)))
            default: break
            }
            let both = left.and(right)
            #expect(both.canonical == both.expression.canonical, "\(left.canonical) and \(right.canonical)")
            #expect(both == Selector(expression: both.expression))
            if !left.isAll && !right.isAll { combined += 1 }
            let labels = generator.labels()
            #expect(both.matches(labels) == (left.matches(labels) && right.matches(labels)), "\(both.canonical) on \(labels)")
        }
        #expect(combined > 2000, "\(combined)")
    }
}
