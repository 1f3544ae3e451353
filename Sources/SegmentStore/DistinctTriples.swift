import CPrefetch

/// Numbers a block's (source, destination, outcome) triples in the order each first appears,
/// with a table kept from block to block: what a version 5 block's annotated conversations
/// share (`BlockDecoder.shareAnnotations`).
///
/// Sized for the processor's second-level cache: a block of the large cluster holds about
/// 24,000 annotated conversations, and a table of 8-byte slots with the three columns read
/// back at each slot's number did not fit it (each probe then cost up to four misses). A
/// triple is packed into one key (22, 22 and 20 bits); a slot is 4 bytes (its number), and
/// the keys are kept by number in one column, so a probe reads two small tables. Conversations
/// come sorted by source and destination, so one with the triple of the one before it (the
/// same two pods on another port) takes its number without a probe.
///
/// Which triples a block holds is up to whoever sends the traffic, so the multiplier that
/// picks a slot is a random odd number drawn for each table (multiply-shift hashing, as
/// `DigestTokens` explains), not a constant that would let a sender line triples up on one
/// slot. Numbers go by first appearance, so nothing read depends on it.
struct DistinctTriples {
    /// Per slot, the call's stamp << 21 | (number + 1) (numbers are below 2^20, a block's
    /// most records); a slot with another stamp is empty, so the table is not cleared from
    /// block to block (only when it grows, or its 11-bit stamps wrap).
    private var slots: [UInt32] = []
    private var stamp: UInt32 = 0
    /// Odd; drawn when the table is first sized (a decoder that never shares annotations never
    /// draws one); a stored property, read with the table.
    private(set) var multiplier: UInt64 = 0
    /// Per number, its triple's key.
    private var keys: [UInt64] = []
    private static let numberBits: UInt32 = 21
    private static let stampLimit: UInt32 = 1 << (32 - numberBits)
    /// How many triples ahead a slot is prefetched.
    private static let lookAhead = 16

    /// The slot a triple's key is looked for first, in a table of `2^(64 - shift)` slots.
    @inline(__always)
    static func home(_ key: UInt64, multiplier: UInt64, shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* multiplier) >> shift)
    }

    /// Compacts the first `count` triples (`sources[i]`, `destinations[i]`, `outcomes[i]`;
    /// sources and destinations below 2^22, outcomes below 2^20, at least `count` of each,
    /// `count` at most 2^20) to the distinct ones in order of first appearance, sets
    /// `renumber[i]` (resized to `count`) to triple `i`'s number among them and returns how
    /// many there are. The three arrays keep their length; entries past the count are left as
    /// they were.
    mutating func compact(sources: inout [UInt64], destinations: inout [UInt64], outcomes: inout [UInt64], count: Int,
                          renumber: inout [UInt64]) -> Int {
        if multiplier == 0 {
            var random = SystemRandomNumberGenerator()
            multiplier = random.next() | 1
        }
        let multiplier = multiplier
        var capacity = 1
        while capacity < 2 * count { capacity <<= 1 }
        if slots.count < capacity || stamp + 1 == Self.stampLimit {
            slots = [UInt32](repeating: 0, count: max(capacity, slots.count))
            stamp = 0
        }
        stamp += 1
        let stamped = stamp &<< Self.numberBits
        let mask = slots.count - 1, shift = UInt64(64 - slots.count.trailingZeroBitCount)
        BlockDecoder.resize(&renumber, to: count, filler: 0)
        BlockDecoder.resize(&keys, to: count, filler: 0)
        var distinct = 0
        // Through buffers (no uniqueness or bounds checks per access); writes to the columns
        // go to positions at or before the one read, so reading ahead stays correct.
        slots.withUnsafeMutableBufferPointer { slots in
            keys.withUnsafeMutableBufferPointer { keys in
                renumber.withUnsafeMutableBufferPointer { renumber in
                    sources.withUnsafeMutableBufferPointer { sources in
                        destinations.withUnsafeMutableBufferPointer { destinations in
                            outcomes.withUnsafeMutableBufferPointer { outcomes in
                                var previousKey = UInt64.max  // (no key: sources are below 2^22)
                                var previousNumber: UInt64 = 0
                                for a in 0..<count {
                                    // The table is reread at random while the block's columns
                                    // stream through the cache: the slot a few triples on is
                                    // asked for now, so its miss overlaps this one's work
                                    // (columns are only written below the one read).
                                    let next = a &+ Self.lookAhead
                                    if next < count {
                                        let ahead = sources[next] << 42 | destinations[next] << 20 | outcomes[next]
                                        flowlog_prefetch_read(slots.baseAddress! + Self.home(ahead, multiplier: multiplier, shift: shift))
                                    }
                                    let source = sources[a], destination = destinations[a], outcome = outcomes[a]
                                    let key = source << 42 | destination << 20 | outcome
                                    if key == previousKey {
                                        renumber[a] = previousNumber
                                        continue
                                    }
                                    var slot = Self.home(key, multiplier: multiplier, shift: shift)
                                    var number: Int
                                    while true {
                                        let held = slots[slot]
                                        if held &>> Self.numberBits != stamp {
                                            number = distinct
                                            slots[slot] = stamped | UInt32(truncatingIfNeeded: number &+ 1)
                                            keys[number] = key
                                            sources[number] = source
                                            destinations[number] = destination
                                            outcomes[number] = outcome
                                            distinct += 1
                                            break
                                        }
                                        number = Int(truncatingIfNeeded: held & (1 << Self.numberBits - 1)) &- 1
                                        if keys[number] == key { break }
                                        slot = (slot &+ 1) & mask
                                    }
                                    renumber[a] = UInt64(truncatingIfNeeded: number)
                                    previousKey = key
                                    previousNumber = UInt64(truncatingIfNeeded: number)
                                }
                            }
                        }
                    }
                }
            }
        }
        return distinct
    }
}
