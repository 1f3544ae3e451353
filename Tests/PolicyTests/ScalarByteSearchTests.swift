import FlowCore
import Testing
@testable import Policy

/// `BlockYAMLScanner.leadingBytes(notEqualTo:or:at:)`, the eight-bytes-at-once search the
/// scanner runs over scalars, against a byte-at-a-time search (the plain path) on random
/// words: the two searched bytes, their neighbours (one bit apart), zero, line feeds, bytes
/// with the high bit set, at every position and in every combination.
@Suite struct ScalarByteSearchTests {
    @Test func findsTheFirstSearchedByteAsAByteLoop() {
        var rng = SplitMix64(seed: 0x5CA1)
        let pairs: [(UInt8, UInt8)] = [(UInt8(ascii: ":"), UInt8(ascii: " ")), (UInt8(ascii: "'"), UInt8(ascii: "\\")),
                                       (UInt8(ascii: "\""), UInt8(ascii: "\\")), (UInt8(ascii: "'"), UInt8(ascii: "'"))]
        var buffer = [UInt8](repeating: 0, count: 24)
        var found = [Int](repeating: 0, count: 9)
        for round in 0..<200_000 {
            let (a, b) = pairs[round % pairs.count]
            let palette: [UInt8] = [a, b, a ^ 1, b ^ 1, a ^ 0x80, b | 0x80, 0, 0x0A, 0x7F, 0x80, 0xFF, 0x3B, 0x21, UInt8(ascii: "x")]
            for i in buffer.indices {
                buffer[i] = rng.next() % 3 == 0 ? palette[Int(rng.next() % UInt64(palette.count))] : UInt8(truncatingIfNeeded: rng.next())
            }
            let offset = Int(rng.next() % 16)
            let want = buffer[offset..<(offset + 8)].firstIndex { $0 == a || $0 == b }.map { $0 - offset } ?? 8
            let got = buffer.withUnsafeBufferPointer { BlockYAMLScanner.leadingBytes(notEqualTo: a, or: b, at: $0.baseAddress! + offset) }
            if got != want { Issue.record("\(Array(buffer[offset..<(offset + 8)])) searching \(a), \(b): got \(got), want \(want)") }
            found[want] += 1
        }
        // Every answer, none to all eight bytes, came up many times.
        #expect(found.allSatisfy { $0 > 1_000 }, "\(found)")
    }
}
