import FlowCore
import Testing
@testable import SegmentStore

@Suite struct PackedColumnTests {
    func roundTrip(_ values: [UInt64]) throws -> (back: [UInt64], bytes: Int) {
        var sink = ByteSink()
        PackedColumn.encode(values, into: &sink)
        sink.u8(0xEE)   // a sentinel: decoding must stop exactly before it
        var back: [UInt64] = [42]
        try sink.bytes.withUnsafeBytes { raw in
            var c = ByteCursor(raw)
            try PackedColumn.decode(&c, count: values.count, into: &back)
            #expect(try c.u8() == 0xEE)
            #expect(c.isAtEnd)
        }
        return (back, sink.bytes.count - 1)
    }

    @Test func edgeValuesAndLengths() throws {
        for values: [UInt64] in [[], [0], [.max], [0, .max, 1], [UInt64](repeating: 7, count: 9),
                                 [1 << 63, 1 << 62, 3], (0..<65).map { $0 == 64 ? .max : (1 << UInt64($0)) - 1 }] {
            #expect(try roundTrip(values).back == values)
        }
    }

    @Test func randomColumnsAtEveryWidthWithOutliers() throws {
        var rng = SplitMix64(seed: 99)
        for width in 0...64 {
            for count in [1, 8, 63, 64, 65, 1000] {
                let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
                let values = (0..<count).map { i -> UInt64 in
                    i % 37 == 5 ? rng.next() : rng.next() & mask
                }
                #expect(try roundTrip(values).back == values, "width \(width) count \(count)")
            }
        }
    }

    @Test func packsToTheBitsMostValuesNeed() throws {
        // 1000 values below 2^13 and two outliers: 13 bits each plus a few exception bytes.
        var values = (0..<1000).map { UInt64($0 * 7 % 8000) }
        values[10] = 1 << 40
        values[900] = 123_456_789
        let (back, bytes) = try roundTrip(values)
        #expect(back == values)
        #expect(PackedColumn.bestWidth(values) == 13)
        #expect(bytes <= 1 + (1000 * 13 + 7) / 8 + 16)
        #expect(try roundTrip([UInt64](repeating: 0, count: 5000)).bytes == 2)
    }

    @Test func truncatedInputIsAnErrorNotACrash() throws {
        var sink = ByteSink()
        PackedColumn.encode((0..<100).map { UInt64($0) * 1000 + 12345 }, into: &sink)
        for cut in [0, 1, 5, sink.bytes.count - 1] {
            let bytes = Array(sink.bytes[0..<cut])
            #expect(throws: ByteCursor.Overrun.self) {
                try bytes.withUnsafeBytes { raw in
                    var c = ByteCursor(raw)
                    var back: [UInt64] = []
                    try PackedColumn.decode(&c, count: 100, into: &back)
                }
            }
        }
    }

    // MARK: - Based columns (format version 4's record columns)

    func basedRoundTrip(_ values: [UInt64]) throws -> (back: [UInt64], bytes: Int) {
        var sink = ByteSink()
        var scratch: [UInt64] = [9, 9]
        BasedColumn.encode(values, into: &sink, scratch: &scratch)
        sink.u8(0xEE)
        var back: [UInt64] = [42]
        try sink.bytes.withUnsafeBytes { raw in
            var c = ByteCursor(raw)
            try BasedColumn.decode(&c, count: values.count, into: &back)
            #expect(try c.u8() == 0xEE)
            #expect(c.isAtEnd)
        }
        return (back, sink.bytes.count - 1)
    }

    /// Random columns around random bases, with outliers on both sides (below the base they
    /// wrap and become exceptions), against the plain packed column as the oracle.
    @Test func basedColumnsRoundTripAndNeverLoseMuch() throws {
        var rng = SplitMix64(seed: 2026)
        for _ in 0..<300 {
            let count = Int(rng.next() % 3000)
            let width = Int(rng.next() % 65)
            let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
            let base = rng.next() >> (rng.next() % 64)
            let values = (0..<count).map { i -> UInt64 in
                i % 53 == 7 ? rng.next() >> (rng.next() % 64) : base &+ (rng.next() & mask)
            }
            let based = try basedRoundTrip(values)
            let plain = try roundTrip(values)
            #expect(based.back == values, "width \(width) count \(count)")
            #expect(plain.back == values)
            // The base costs at most its varint (10 bytes) over the plain column.
            #expect(based.bytes <= plain.bytes + 10, "based \(based.bytes) plain \(plain.bytes)")
        }
        for values: [UInt64] in [[], [0], [.max], [.max, 0, .max], [5, 5, 5], [UInt64](repeating: 1 << 40, count: 100)] {
            #expect(try basedRoundTrip(values).back == values)
        }
    }

    /// Ephemeral source ports (32768–60999) with a few low ones: the base makes them 15 bits.
    @Test func aBaseTakesTheBitsTheBulkShares() throws {
        var rng = SplitMix64(seed: 3)
        let ports = (0..<4096).map { i -> UInt64 in i % 500 == 0 ? rng.next() % 1024 : 32768 + rng.next() % 28232 }
        let based = try basedRoundTrip(ports), plain = try roundTrip(ports)
        #expect(based.back == ports)
        // A bit per value (512 bytes) less the low ports, which wrap below the base and become
        // exceptions of a few bytes each.
        #expect(based.bytes < plain.bytes - 300, "based \(based.bytes) plain \(plain.bytes)")
    }
}
