#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore

/// xoshiro256** seeded through splitmix64: small, fast, and the same sequence on every platform,
/// which is what makes a generated capture reproducible byte for byte from its seed.
struct SeededRandom {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(seed: UInt64) {
        var seeder = SplitMix64(seed: seed)
        s0 = seeder.next()
        s1 = seeder.next()
        s2 = seeder.next()
        s3 = seeder.next()
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func unit() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// Uniform in `range` (inclusive); the small modulo bias is irrelevant for synthetic traffic.
    @inline(__always)
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    @inline(__always)
    mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    /// Exponentially distributed with the given mean (inter-arrival times, think times).
    @inline(__always)
    mutating func exponential(mean: Double) -> Double { -mean * log(1.0 - unit()) }

    /// Pareto-distributed with shape `alpha` and the given mean: the heavy tail of transfer sizes.
    mutating func pareto(mean: Double, alpha: Double = 1.5) -> Double {
        let scale = mean * (alpha - 1) / alpha
        return scale / pow(1.0 - unit(), 1.0 / alpha)
    }

    /// An index drawn with probability proportional to `weights` (cumulative, ascending).
    mutating func pick(cumulative weights: [Double]) -> Int {
        let target = unit() * (weights.last ?? 0)
        var lo = 0, hi = weights.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if weights[mid] > target { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// Lower-case letters and digits as Kubernetes uses for generated name suffixes.
    mutating func nameSuffix(length: Int) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        for _ in 0..<length { bytes.append(alphabet[int(0...(alphabet.count - 1))]) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
