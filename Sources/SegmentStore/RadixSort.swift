/// Sorting a block's 64-bit sort keys (conversations by their addresses, IPv4 addresses by
/// value; each key ends in the entry's first-seen number, so keys are distinct) by their digits
/// rather than by comparisons.
///
/// A block of 30,000 flows sorts about 25,000 conversation keys and 10,000 addresses; the
/// standard library's comparison sort spent about 20 instructions a comparison and 15
/// comparisons a key, and a closure comparing `IPAddress`es more. Least significant digit first,
/// 11 bits a digit (six passes cover 64 bits), each pass a counting pass and a scatter; a digit
/// every key shares (the high bits of small numbers) costs its counting pass only.
enum RadixSort {
    static let digitBits: UInt64 = 11

    /// Sorts `keys` ascending: the same order as `keys.sort()`.
    static func sort(_ keys: inout [UInt64]) {
        let n = keys.count
        // Below a few hundred keys the counting arrays cost more than comparing.
        guard n > 256 else {
            keys.sort()
            return
        }
        let radix = 1 << Int(digitBits), mask = UInt64(radix - 1)
        var other = [UInt64](repeating: 0, count: n)
        var counts = [Int](repeating: 0, count: radix)
        var shift: UInt64 = 0
        while shift < 64 {
            let sorted = keys.withUnsafeMutableBufferPointer { from in
                other.withUnsafeMutableBufferPointer { to in
                    counts.withUnsafeMutableBufferPointer { count in
                        for d in 0..<radix { count[d] = 0 }
                        for key in from { count[Int((key >> shift) & mask)] += 1 }
                        if count[Int((from[0] >> shift) & mask)] == n { return false }
                        var offset = 0
                        for d in 0..<radix {
                            let c = count[d]
                            count[d] = offset
                            offset += c
                        }
                        for key in from {
                            let d = Int((key >> shift) & mask)
                            to[count[d]] = key
                            count[d] += 1
                        }
                        return true
                    }
                }
            }
            if sorted { swap(&keys, &other) }
            shift += digitBits
        }
    }
}
