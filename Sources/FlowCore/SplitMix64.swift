/// Vigna's SplitMix64: a tiny, fast generator giving the same sequence on every platform for a
/// seed, so synthetic clusters, flows and captures can be reproduced exactly from their seed.
/// Not for anything that needs unpredictability.
public struct SplitMix64: Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// In 0..<bound (bound > 0), by modulo: the slight bias is irrelevant for test data.
    public mutating func below(_ bound: UInt64) -> UInt64 { next() % bound }

    /// One of `items` (not empty).
    public mutating func pick<T>(_ items: [T]) -> T { items[Int(below(UInt64(items.count)))] }
}
