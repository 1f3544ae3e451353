import FlowCore
import Testing
@testable import SegmentStore

/// Version 5's record columns predicted from another column (`ConditionedColumn`): every value
/// comes back whatever it is (wrapping differences, keys past the table, values past the
/// sample's range), the predicted form is taken only where it is smaller, and damage is an
/// error.
@Suite struct ConditionedColumnTests {
    func roundTrip(_ values: [UInt64], keys: [UInt64]) throws -> (back: [UInt64], bytes: [UInt8]) {
        var sink = ByteSink(), trial = ByteSink()
        var scratch: [UInt64] = [], residuals: [UInt64] = []
        ConditionedColumn.encode(values, keys: keys, into: &sink, scratch: &scratch, trial: &trial, residuals: &residuals)
        let written = sink.bytes
        sink.u8(0xEE)   // a sentinel: decoding must stop exactly before it
        var back: [UInt64] = [42, 43]
        var table: [UInt64] = [7]
        try sink.bytes.withUnsafeBytes { raw in
            var c = ByteCursor(raw)
            try ConditionedColumn.decode(&c, count: values.count, keys: keys, into: &back, table: &table)
            #expect(try c.u8() == 0xEE)
            #expect(c.isAtEnd)
        }
        return (back, written)
    }

    /// Bytes of the plain form (`BasedColumn`), for comparison.
    func plainSize(_ values: [UInt64]) -> Int {
        var sink = ByteSink()
        var scratch: [UInt64] = []
        sink.varint(0)
        BasedColumn.encode(values, into: &sink, scratch: &scratch)
        return sink.bytes.count
    }

    @Test func edgeValuesComeBack() throws {
        let cases: [([UInt64], [UInt64])] = [
            ([], []),
            ([0], [0]),
            ([.max], [1]),
            ([.max, 0, 1, .max - 1], [3, 3, 3, 3]),
            ([1 << 60, 5, 1 << 54, (1 << 54) - 1], [0, 0, 1023, 1023]),
            ([10, 20, 30], [1024, 5000, .max]),
            ((0..<3000).map { UInt64($0) }, (0..<3000).map { UInt64($0 % 1030) }),
        ]
        for (values, keys) in cases {
            #expect(try roundTrip(values, keys: keys).back == values, "\(values.prefix(4)) keyed by \(keys.prefix(4))")
        }
    }

    /// Random rows of every kind: bytes about a size times the packets (with noise and
    /// outliers), keys small and large, blocks of many lengths.
    @Test func randomColumnsComeBack() throws {
        var rng = SplitMix64(seed: 5)
        for count in [1, 2, 17, 500, 4096, 4097, 20_000] {
            for shape in 0..<4 {
                var keys: [UInt64] = [], values: [UInt64] = []
                for _ in 0..<count {
                    let key: UInt64
                    switch rng.next() % 20 {
                    case 0: key = rng.next()
                    case 1: key = 1000 + rng.next() % 100
                    default: key = 1 + rng.next() % 40
                    }
                    keys.append(key)
                    switch shape {
                    case 0: values.append(key &* 1200 &+ rng.next() % 300)
                    case 1: values.append(rng.next())
                    case 2: values.append(rng.next() % 7 == 0 ? rng.next() : key &* 60)
                    default: values.append(key)
                    }
                }
                let (back, bytes) = try roundTrip(values, keys: keys)
                #expect(back == values, "count \(count), shape \(shape)")
                #expect(bytes.count <= plainSize(values), "never larger than plain")
            }
        }
    }

    /// Bytes that follow the packets take the predicted form and fewer bytes; values that
    /// do not follow their keys stay plain (table length 0).
    @Test func predictsOnlyWhereItPays() throws {
        var rng = SplitMix64(seed: 8)
        let keys = (0..<10_000).map { _ in 1 + rng.next() % 200 }
        let following = keys.map { $0 * 1400 + rng.next() % 64 }
        let (back, bytes) = try roundTrip(following, keys: keys)
        #expect(back == following)
        #expect(bytes.first != 0, "a prediction table")
        #expect(bytes.count * 2 < plainSize(following), "\(bytes.count) bytes predicted, \(plainSize(following)) plain")

        let unrelated = keys.map { _ in rng.next() % 4096 }
        let (backUnrelated, plain) = try roundTrip(unrelated, keys: keys)
        #expect(backUnrelated == unrelated)
        #expect(plain.first == 0, "no table")
        #expect(plain.count == plainSize(unrelated))
    }

    /// The medians: each key's middle sampled value; a key that does not occur takes the one
    /// before's; keys at or past the limit and huge values are left out.
    @Test func tableHoldsEachKeysMedian() {
        var scratch: [UInt64] = []
        let keys: [UInt64] = [1, 1, 1, 3, 3, 2000, 0, 1]
        let values: [UInt64] = [10, 30, 20, 7, 9, 5, 1, 1 << 60]
        let table = ConditionedColumn.predictionTable(values, keys: keys, scratch: &scratch)
        #expect(table == [1, 20, 20, 9])
        #expect(ConditionedColumn.predictionTable([5, 6], keys: [5000, 1024], scratch: &scratch).isEmpty)
    }

    @Test func damageIsAnErrorNotACrash() throws {
        var rng = SplitMix64(seed: 3)
        let keys = (0..<2000).map { _ in rng.next() % 50 }
        let values = keys.map { $0 * 900 + rng.next() % 100 }
        let (_, bytes) = try roundTrip(values, keys: keys)
        // A table longer than the limit.
        var long = ByteSink()
        long.varint(ConditionedColumn.maximumTableLength + 1)
        for damaged in [Array(bytes[0..<(bytes.count / 2)]), Array(bytes[0..<1]), long.bytes] {
            #expect(throws: ByteCursor.Overrun.self) {
                try damaged.withUnsafeBytes { raw in
                    var c = ByteCursor(raw)
                    var back: [UInt64] = [], table: [UInt64] = []
                    try ConditionedColumn.decode(&c, count: values.count, keys: keys, into: &back, table: &table)
                }
            }
        }
    }
}
