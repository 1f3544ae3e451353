import FlowCore
import Testing
@testable import SegmentStore

/// The decoder's branch-free and width-specialized loops against plain, value-by-value
/// versions of the same rules, on random input: a wrong shift, mask, base or choice in a fast
/// loop shows as a difference here before it shows as a wrong flow.
@Suite struct DecodingFastPathTests {
    /// Value `i` of a packed area: its `width` bits from bit `i · width` on, one bit at a time.
    static func plainUnpack(_ packed: [UInt8], width: Int, index i: Int) -> UInt64 {
        var v: UInt64 = 0
        for b in 0..<width {
            let bit = i * width + b
            if packed[bit / 8] >> UInt8(bit % 8) & 1 == 1 { v |= 1 << UInt64(b) }
        }
        return v
    }

    /// Every width (each unpacked in groups of eight with the width a constant, 8, 16 and 32
    /// by whole bytes), around each length where the groups hand over to the word-at-a-time
    /// loop and that to the careful one, with a random base added.
    @Test func packedColumnsUnpackAsBitByBit() throws {
        var rng = SplitMix64(seed: 18)
        for width in 0...64 {
            let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
            for count in [1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 33, 63, 64, 65, 100, 1000, 4097] {
                // No exceptions: every value fits the width, so the width is exactly this one
                // when the top bit is used somewhere.
                var values = (0..<count).map { _ in rng.next() & mask }
                values[count / 2] = mask
                var sink = ByteSink()
                PackedColumn.encode(values, into: &sink)
                let base = rng.next() >> (rng.next() % 64)
                var back: [UInt64] = [1, 2, 3]
                try sink.bytes.withUnsafeBytes { raw in
                    var c = ByteCursor(raw)
                    try PackedColumn.decode(&c, count: count, into: &back, adding: base)
                }
                let encodedWidth = Int(sink.bytes[0])
                let packed = Array(sink.bytes[1..<(1 + (count * encodedWidth + 7) / 8)])
                let plain = (0..<count).map { Self.plainUnpack(packed, width: encodedWidth, index: $0) &+ base }
                #expect(back == plain, "width \(width) count \(count)")
                #expect(back == values.map { $0 &+ base }, "width \(width) count \(count)")
            }
        }
    }

    /// Exceptions (values wider than the packed width) with a base: the high bits join the
    /// low ones before the base is added.
    @Test func exceptionsWithABase() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let count = 1 + Int(rng.next() % 2000)
            let width = Int(rng.next() % 40)
            let mask: UInt64 = (1 << UInt64(width)) - 1
            let values = (0..<count).map { i -> UInt64 in i % 29 == 3 ? rng.next() >> (rng.next() % 32) : rng.next() & mask }
            let base = rng.next()
            var sink = ByteSink()
            PackedColumn.encode(values, into: &sink)
            var back: [UInt64] = []
            try sink.bytes.withUnsafeBytes { raw in
                var c = ByteCursor(raw)
                try PackedColumn.decode(&c, count: count, into: &back, adding: base)
            }
            #expect(back == values.map { $0 &+ base })
        }
    }

    /// Repeat flags resolved value by value, with a branch per flag (format 4's rule: 1 = the
    /// value last taken for the entry's key, 0 = the next of the others).
    static func plainResolve(flags: [UInt64], keys: [UInt64], others: [UInt64], keyCount: Int) -> [UInt64]? {
        var last = [UInt64?](repeating: nil, count: keyCount)
        var next = 0
        var out: [UInt64] = []
        for (i, flag) in flags.enumerated() {
            let key = Int(keys[i])
            let value: UInt64
            if flag == 1 {
                guard let remembered = last[key] else { return nil }
                value = remembered
            } else {
                value = others[next]
                next += 1
            }
            out.append(value)
            last[key] = value
        }
        return out
    }

    @Test func repeatFlagsResolveAsValueByValue() {
        var rng = SplitMix64(seed: 2026)
        var failures = 0
        for round in 0..<500 {
            let count = Int(rng.next() % 3000)
            let keyCount = 1 + Int(rng.next() % 64)
            let keys = (0..<count).map { _ in rng.next() % UInt64(keyCount) }
            // Mostly valid: a key's first entry carries a value; one round in five may repeat a
            // key with no value yet (the decoder must then refuse).
            var seen = Set<UInt64>()
            let flags = keys.map { key -> UInt64 in
                let first = seen.insert(key).inserted
                if first && round % 5 != 0 { return 0 }
                return rng.next() % 3 == 0 ? 0 : 1
            }
            let others = flags.filter { $0 == 0 }.map { _ in rng.next() >> (rng.next() % 64) }
            let plain = Self.plainResolve(flags: flags, keys: keys, others: others, keyCount: keyCount)
            var values = flags
            var last: [UInt64] = [5, 5]
            let ok = BlockDecoder.resolveRepeats(&values, keys: keys, others: others + [0], last: &last, keyCount: keyCount)
            #expect(ok == (plain != nil), "round \(round)")
            if let plain, ok {
                #expect(values == plain, "round \(round)")
            }
            if plain == nil { failures += 1 }
        }
        // The refusing case was exercised.
        #expect(failures > 20)
    }
}
