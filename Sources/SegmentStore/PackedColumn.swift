/// A column of unsigned integers bit-packed at one width chosen per column, with the few values
/// that do not fit stored apart ("patched frame of reference", as in column stores):
///
/// ```text
///   u8 width b (0…64)
///   ⌈n·b / 8⌉ bytes: the low b bits of every value, LSB first, value i at bit i·b
///   varint exception count; per exception: varint index − previous index, varint value >> b
/// ```
///
/// LEB128 spends a flag bit per byte and whole bytes per value; a packed column spends exactly
/// the bits most values need (13 bits for a block's conversation numbers, 2 for the packets of a
/// DNS exchange, 0 for a constant), and LZ4 finds little left to remove in either.
enum PackedColumn {
    /// Appends `values` packed.
    static func encode(_ values: [UInt64], into out: inout ByteSink) {
        let width = bestWidth(values)
        out.u8(UInt8(width))
        let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
        if width > 0 {
            // Written in place, a word at a time: appending each word byte by byte checked the
            // array's uniqueness and capacity eight times a word.
            let start = out.bytes.count
            out.bytes.append(contentsOf: repeatElement(0, count: (values.count * width + 7) / 8))
            out.bytes.withUnsafeMutableBytes { raw in
                var acc: UInt64 = 0
                var filled = 0
                var at = start
                for v in values {
                    let x = v & mask
                    acc |= x << UInt64(filled)
                    let total = filled + width
                    if total >= 64 {
                        raw.storeBytes(of: acc.littleEndian, toByteOffset: at, as: UInt64.self)
                        at += 8
                        let used = 64 - filled
                        acc = used < 64 ? x >> UInt64(used) : 0
                        filled = total - 64
                    } else {
                        filled = total
                    }
                }
                var rest = filled
                while rest > 0 {
                    raw[at] = UInt8(truncatingIfNeeded: acc)
                    at += 1
                    acc >>= 8
                    rest -= 8
                }
            }
        }
        var exceptions = 0
        if width < 64 { for v in values where v > mask { exceptions += 1 } }
        out.varint(exceptions)
        guard exceptions > 0 else { return }
        var previous = 0
        for (i, v) in values.enumerated() where v > mask {
            out.varint(i - previous)
            out.varint(v >> UInt64(width))
            previous = i
        }
    }

    /// Reads `count` values written by `encode` into `values` (resized; capacity kept).
    /// Returns a bound no value exceeds (the packed width's largest value when the column has
    /// no exceptions), so a caller checking references against a table's size can skip the
    /// pass over the values when the width alone keeps them in range.
    @discardableResult
    static func decode(_ c: inout ByteCursor, count: Int, into values: inout [UInt64]) throws -> UInt64 {
        try decode(&c, count: count, into: &values, adding: 0)
    }

    /// `decode`, with `base` added (wrapping) to every value as it is unpacked: a based column
    /// costs no second pass. The bound returned is then meaningless unless `base` is 0.
    @discardableResult
    static func decode(_ c: inout ByteCursor, count: Int, into values: inout [UInt64], adding base: UInt64) throws -> UInt64 {
        let width = Int(try c.u8())
        guard width <= 64 else { throw ByteCursor.Overrun(position: c.position - 1) }
        let packedBytes = (count * width + 7) / 8
        guard c.remaining >= packedBytes else { throw ByteCursor.Overrun(position: c.position) }
        // Resized, not refilled: every value is written below.
        if values.count > count {
            values.removeLast(values.count - count)
        } else if values.count < count {
            values.append(contentsOf: repeatElement(0, count: count - values.count))
        }
        if width == 0 {
            values.withUnsafeMutableBufferPointer { $0.update(repeating: base) }
        } else {
            let base8 = c.base.baseAddress! + c.position
            values.withUnsafeMutableBufferPointer { out in
                unpack(base8, packedBytes: packedBytes, width: width, count: count, adding: base, into: out.baseAddress!)
            }
        }
        try c.skip(packedBytes)
        let exceptions = try c.index(below: count + 1)
        guard exceptions > 0 else { return width == 64 ? .max : (1 << UInt64(width)) - 1 }
        var index = 0
        for e in 0..<exceptions {
            let delta = try c.index(below: count)
            index = e == 0 ? delta : index + delta
            guard index < count, width < 64 else { throw ByteCursor.Overrun(position: c.position) }
            let high = try c.varint()
            values[index] = ((values[index] &- base) | high << UInt64(width)) &+ base
        }
        return .max
    }

    /// Unpacks `count` values of `width` bits (1…64) from `packed` (`packedBytes` long), each
    /// plus `base`. The common narrow widths get loops of their own, where the width is a
    /// constant: the shifts and offsets are then known per value and the loop unrolls.
    @inline(__always)
    private static func unpack(_ packed: UnsafeRawPointer, packedBytes: Int, width: Int, count: Int, adding base: UInt64,
                               into out: UnsafeMutablePointer<UInt64>) {
        // Values whose 8-byte window lies inside the packed area load one word; the few at the
        // end (and those straddling 9 bytes) take the careful path.
        var i = 0
        if width <= 56 && packedBytes >= 8 {
            // Value j's window starts at byte j·width/8, which must be at most packedBytes − 8.
            let fast = min(count, ((packedBytes - 8) * 8) / width + 1)
            switch width {
            case 8: unpackBytes(packed, as: UInt8.self, count: fast, adding: base, into: out)
            case 16: unpackBytes(packed, as: UInt16.self, count: fast, adding: base, into: out)
            case 32: unpackBytes(packed, as: UInt32.self, count: fast, adding: base, into: out)
            default:
                // Whole groups of eight values (`width` bytes each) first, the width a constant
                // in each case: every load, shift and mask of a group is then known in advance,
                // which unpacks in about half the time of a loop with the width in a register.
                let groups = fast / 8
                @inline(__always) func grouped(_ w: Int) { unpackGroups(packed, width: w, groups: groups, adding: base, into: out) }
                switch width {
                case 1: grouped(1)
                case 2: grouped(2)
                case 3: grouped(3)
                case 4: grouped(4)
                case 5: grouped(5)
                case 6: grouped(6)
                case 7: grouped(7)
                case 9: grouped(9)
                case 10: grouped(10)
                case 11: grouped(11)
                case 12: grouped(12)
                case 13: grouped(13)
                case 14: grouped(14)
                case 15: grouped(15)
                case 17: grouped(17)
                case 18: grouped(18)
                case 19: grouped(19)
                case 20: grouped(20)
                case 21: grouped(21)
                case 22: grouped(22)
                case 23: grouped(23)
                case 24: grouped(24)
                case 25: grouped(25)
                case 26: grouped(26)
                case 27: grouped(27)
                case 28: grouped(28)
                case 29: grouped(29)
                case 30: grouped(30)
                case 31: grouped(31)
                case 33: grouped(33)
                case 34: grouped(34)
                case 35: grouped(35)
                case 36: grouped(36)
                case 37: grouped(37)
                case 38: grouped(38)
                case 39: grouped(39)
                case 40: grouped(40)
                case 41: grouped(41)
                case 42: grouped(42)
                case 43: grouped(43)
                case 44: grouped(44)
                case 45: grouped(45)
                case 46: grouped(46)
                case 47: grouped(47)
                case 48: grouped(48)
                case 49: grouped(49)
                case 50: grouped(50)
                case 51: grouped(51)
                case 52: grouped(52)
                case 53: grouped(53)
                case 54: grouped(54)
                case 55: grouped(55)
                default: grouped(56)
                }
                unpackFast(packed, width: width, from: groups * 8, to: fast, adding: base, into: out)
            }
            i = fast
        }
        let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
        var bit = i * width
        while i < count {
            let byte = bit >> 3, shift = bit & 7
            var word: UInt64 = 0
            let available = min(8, packedBytes - byte)
            if available == 8 {
                word = UInt64(littleEndian: packed.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
            } else {
                for k in 0..<available { word |= UInt64(packed.load(fromByteOffset: byte + k, as: UInt8.self)) << UInt64(8 * k) }
            }
            var v = word >> UInt64(shift)
            if shift + width > 64 {
                v |= UInt64(packed.load(fromByteOffset: byte + 8, as: UInt8.self)) << UInt64(64 - shift)
            }
            out[i] = (v & mask) &+ base
            bit += width
            i += 1
        }
    }

    /// Values `start..<end`, each of whose 8-byte windows lies inside the packed area.
    @inline(__always)
    private static func unpackFast(_ packed: UnsafeRawPointer, width: Int, from start: Int, to end: Int, adding base: UInt64,
                                   into out: UnsafeMutablePointer<UInt64>) {
        let mask: UInt64 = (1 << UInt64(width)) - 1
        for j in start..<end {
            let bit = j &* width
            let word = UInt64(littleEndian: packed.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self))
            out[j] = ((word &>> UInt64(bit & 7)) & mask) &+ base
        }
    }

    /// The first `groups` groups of eight values, each group `width` bytes from the one
    /// before; every value's 8-byte window lies inside the packed area. Inlined with a
    /// constant width, the inner loop unrolls into eight loads at fixed offsets.
    @inline(__always)
    private static func unpackGroups(_ packed: UnsafeRawPointer, width: Int, groups: Int, adding base: UInt64,
                                     into out: UnsafeMutablePointer<UInt64>) {
        let mask: UInt64 = (1 << UInt64(width)) - 1
        var from = packed, to = out
        for _ in 0..<groups {
            for k in 0..<8 {
                let bit = k &* width
                let word = UInt64(littleEndian: from.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self))
                to[k] = ((word &>> UInt64(bit & 7)) & mask) &+ base
            }
            from += width
            to += 8
        }
    }

    /// Values of a whole number of bytes, little-endian.
    @inline(__always)
    private static func unpackBytes<T: FixedWidthInteger & UnsignedInteger>(_ packed: UnsafeRawPointer, as: T.Type, count: Int,
                                                                            adding base: UInt64, into out: UnsafeMutablePointer<UInt64>) {
        for j in 0..<count {
            out[j] = UInt64(T(littleEndian: packed.loadUnaligned(fromByteOffset: j &* MemoryLayout<T>.size, as: T.self))) &+ base
        }
    }

    /// The width that minimises packed bits plus the (estimated) cost of the exceptions.
    static func bestWidth(_ values: [UInt64]) -> Int {
        var histogram = [Int](repeating: 0, count: 65)
        for v in values { histogram[v == 0 ? 0 : 64 - v.leadingZeroBitCount] += 1 }
        return best(histogram, count: values.count).width
    }

    /// The bits `encode` would spend on the values `values − base` (wrapping), the exceptions
    /// estimated as in `bestWidth`.
    static func cost(_ values: [UInt64], base: UInt64) -> Int {
        var histogram = [Int](repeating: 0, count: 65)
        for v in values {
            let x = v &- base
            histogram[x == 0 ? 0 : 64 - x.leadingZeroBitCount] += 1
        }
        return best(histogram, count: values.count).cost
    }

    /// The width with the fewest bits for values whose bit lengths `histogram` counts.
    private static func best(_ histogram: [Int], count: Int) -> (width: Int, cost: Int) {
        var best = 64, bestCost = Int.max
        for width in 0...64 {
            var cost = count * width
            for length in (width + 1)..<65 where histogram[length] > 0 {
                // Index delta (~1.5 bytes) plus the high bits as a varint.
                cost += histogram[length] * (12 + 8 * ((length - width + 6) / 7))
            }
            if cost < bestCost {
                bestCost = cost
                best = width
            }
        }
        return (best, bestCost)
    }
}

/// A packed column after a base every value is taken from ("frame of reference"), for a block's
/// record columns from format version 4:
///
/// ```text
///   varint base; a packed column of (value − base) mod 2^64
/// ```
///
/// Values bunched away from zero then pack in the bits their spread needs: ephemeral source
/// ports (32768–60999) take 15 bits instead of 16. A value below the base wraps to a large
/// one, which the packed column keeps as an exception.
enum BasedColumn {
    /// Appends `values` with the base that packs them smallest of a few candidates: 0, the
    /// least value, and a low percentile of a sample (so a few outliers below the bulk do not
    /// pin the base to them).
    static func encode(_ values: [UInt64], into out: inout ByteSink, scratch: inout [UInt64]) {
        var base: UInt64 = 0
        if let least = values.min(), least > 0 {
            var candidates: [UInt64] = [least]
            scratch.removeAll(keepingCapacity: true)
            let stride = max(1, values.count / 1024)
            var i = 0
            while i < values.count {
                scratch.append(values[i])
                i += stride
            }
            scratch.sort()
            let low = scratch[scratch.count / 100]
            if low > least { candidates.append(low) }
            var bestCost = PackedColumn.cost(values, base: 0)
            for candidate in candidates {
                let cost = PackedColumn.cost(values, base: candidate) + 8 * ((64 - candidate.leadingZeroBitCount + 6) / 7)
                if cost < bestCost {
                    bestCost = cost
                    base = candidate
                }
            }
        }
        out.varint(base)
        if base == 0 {
            PackedColumn.encode(values, into: &out)
        } else {
            scratch.removeAll(keepingCapacity: true)
            for v in values { scratch.append(v &- base) }
            PackedColumn.encode(scratch, into: &out)
        }
    }

    /// Reads `count` values written by `encode` into `values` (resized; capacity kept).
    static func decode(_ c: inout ByteCursor, count: Int, into values: inout [UInt64]) throws {
        let base = try c.varint()
        try PackedColumn.decode(&c, count: count, into: &values, adding: base)
    }
}
