import FlowCore
import Foundation
import Testing
@testable import Policy

/// Selectors compile their matcher on first use (`LazySelectorMatcher`): every answer must be
/// the one a matcher compiled as the selector is made gives (`SelectorMatcher(expression)`,
/// the plain path), for selectors made every way loading makes them (parsed, combined, scoped)
/// and when many threads make the first match of one selector at once.
@Suite struct LazySelectorMatcherTests {
    @Test func answersAsAMatcherCompiledUpFront() {
        var generator = NumberedSelectorTests.Generator(rng: SplitMix64(seed: 0x1A2B))
        var compared = 0, held = 0
        for round in 0..<300 {
            let a = Selector(expression: generator.expression(depth: 0))
            let b = Selector(expression: generator.expression(depth: 0))
            let made: [Selector] = [a, a.and(b), a.namespaceScoped(), b.serviceAccountScoped(), a.and(.namespaceEquals("web")),
                                    (try? Selector(parsing: a.canonical)) ?? a]
            // Made fresh this round: none compiled until something matches with it.
            for selector in made { #expect(!selector.isMatcherCompiled, "compiled before any match: \(selector.canonical)") }
            for selector in made {
                let plain = SelectorMatcher(selector.expression)
                for _ in 0..<20 {
                    var labels = generator.labels()
                    if round % 3 == 0 { labels[ClusterLabels.namespace] = "web" }
                    let want = plain.matches(labels)
                    compared += 1
                    if want { held += 1 }
                    #expect(selector.matches(labels) == want, "\(selector.canonical) on \(labels)")
                }
                #expect(selector.isMatcherCompiled)
            }
        }
        #expect(held > compared / 10 && held < compared - compared / 10, "\(held) of \(compared) held")
    }

    @Test func firstMatchesOnManyThreadsAgree() {
        var generator = NumberedSelectorTests.Generator(rng: SplitMix64(seed: 0x7E57))
        for _ in 0..<50 {
            let selector = Selector(expression: generator.expression(depth: 0)).and(Selector(expression: generator.expression(depth: 0)))
            let maps = (0..<32).map { _ in generator.labels() }
            let plain = SelectorMatcher(selector.expression)
            let want = maps.map { plain.matches($0) }
            let answers = UnsafeMutableBufferPointer<Bool>.allocate(capacity: maps.count)
            defer { answers.deallocate() }
            // Each index is written by one iteration only; the buffer is read after all end.
            nonisolated(unsafe) let shared = answers
            DispatchQueue.concurrentPerform(iterations: maps.count) { i in shared[i] = selector.matches(maps[i]) }
            #expect(Array(answers) == want, "\(selector.canonical)")
        }
    }
}
