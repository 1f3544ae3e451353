import FlowCore
import Testing
@testable import SegmentStore

/// `DistinctTriples` (what a version 5 block's annotated conversations share) against a plain
/// numbering through a dictionary: the same distinct triples in the same order, the same
/// number for every entry, over many blocks through one reused table.
@Suite struct DistinctTriplesTests {
    struct Triple: Hashable {
        var source: UInt64, destination: UInt64, outcome: UInt64
    }

    static func plain(_ triples: [Triple]) -> (distinct: [Triple], numbers: [UInt64]) {
        var numberOf: [Triple: UInt64] = [:]
        var distinct: [Triple] = []
        var numbers: [UInt64] = []
        for t in triples {
            if let n = numberOf[t] {
                numbers.append(n)
            } else {
                numberOf[t] = UInt64(distinct.count)
                numbers.append(UInt64(distinct.count))
                distinct.append(t)
            }
        }
        return (distinct, numbers)
    }

    @Test func numbersAsAPlainDictionary() {
        var rng = SplitMix64(seed: 0x7121)
        var table = DistinctTriples()
        var renumber: [UInt64] = [9, 9, 9]
        // More blocks than the table has stamps (2,047), so it is cleared once on the way.
        for block in 0..<2300 {
            // Blocks of every size, small value ranges (many repeats, adjacent and not) and the
            // widest the key holds; the table grows, shrinks in use and keeps its stamps.
            let count = block % 50 == 7 ? 0 : Int(rng.next() % (block % 40 == 0 ? 5000 : 120))
            let spread = block % 4 == 0 ? UInt64(1) << 22 : 1 + rng.next() % 40
            let outcomeSpread = block % 4 == 0 ? UInt64(1) << 20 : 1 + rng.next() % 8
            var triples: [Triple] = []
            while triples.count < count {
                let t = Triple(source: rng.next() % spread, destination: rng.next() % spread, outcome: rng.next() % outcomeSpread)
                // Runs of the same triple (the same two pods on several ports), and old ones again.
                let run = rng.next() % 4 == 0 ? 1 + Int(rng.next() % 6) : 1
                let again = !triples.isEmpty && rng.next() % 5 == 0 ? triples[Int(rng.next() % UInt64(triples.count))] : t
                for _ in 0..<min(run, count - triples.count) { triples.append(again) }
            }
            let expected = Self.plain(triples)
            // Columns may be longer than the count; the extra entries are not triples.
            var sources = triples.map(\.source) + [1, 2], destinations = triples.map(\.destination) + [3, 4]
            var outcomes = triples.map(\.outcome) + [5, 6]
            let distinct = table.compact(sources: &sources, destinations: &destinations, outcomes: &outcomes, count: count,
                                         renumber: &renumber)
            #expect(distinct == expected.distinct.count, "block \(block)")
            #expect(renumber == expected.numbers, "block \(block)")
            let got = (0..<distinct).map { Triple(source: sources[$0], destination: destinations[$0], outcome: outcomes[$0]) }
            #expect(got == expected.distinct, "block \(block)")
        }
    }
}
