import FlowCore

/// A list of elements per address, the addresses numbered densely in one flat, open-addressed
/// table: what `DNSNameCache` keeps per answered address.
///
/// A `Dictionary` keyed by `IPAddress` hashed every answer's address with SipHash through
/// `Hasher` (three `combine` calls and the finalisation) to find its list. Here a slot holds the
/// address itself and its list's number (24 bytes, linear probing, at most half full), and the
/// hash is two multiplications: pair-multiply-shift of the address's four 32-bit words with
/// four random 64-bit seeds drawn when the table is made (M. Thorup, "High Speed Hashing for
/// Integers and Strings", 2015, §3.5), keeping the top bits.
///
/// Why this is still safe against traffic built to collide: the addresses come from DNS answers
/// on the wire, which a sender controls. The seeds are drawn from the system's random source
/// and never leave the process (nothing reveals a slot: no output, order or count depends on
/// where an address lands, since every reader of the lists goes by the addresses' numbers or
/// their entries' times), and pair-multiply-shift is universal: over the draw of the seeds,
/// any two distinct addresses share a home slot with probability about 2 / slots, whatever
/// addresses were chosen. So the expected probe run stays short for any set of answers a sender
/// can pick, as with a keyed hash; only guessing the seeds would help, and they change with
/// every table. A fixed hash would let a sender line addresses up on one slot (the flow table
/// and the policy engine's key tables start their faster mixes from a secret seed for the same
/// reason).
///
/// No deletion of single addresses: `removeAll(where:)` rebuilds the table from the lists that
/// keep elements (the cache drops entries only when full, in bulk).
struct AddressKeyedLists<Element> {
    private struct Slot {
        var high: UInt64
        var low: UInt64
        /// The list's number; -1: empty.
        var number: Int32
        var version: UInt8
    }

    private static var empty: Slot { Slot(high: 0, low: 0, number: -1, version: 0) }
    private var slots: [Slot]
    private var shift: UInt64
    private let seeds: (UInt64, UInt64, UInt64, UInt64)
    /// The address of each list, by number.
    private(set) var addresses: [IPAddress] = []
    /// The lists, by number (written in place through `lists[number]`).
    var lists: [[Element]] = []

    /// Seeds from the system's random source (see the type's comment).
    init() {
        var random = SystemRandomNumberGenerator()
        self.init(seeds: (random.next(), random.next(), random.next(), random.next()))
    }

    /// Given seeds: for tests, which pick seeds that make many addresses share a slot.
    init(seeds: (UInt64, UInt64, UInt64, UInt64)) {
        self.seeds = seeds
        slots = Array(repeating: Self.empty, count: 16)
        shift = 64 - 4
    }

    var count: Int { addresses.count }

    @inline(__always)
    private func home(_ address: IPAddress) -> Int {
        let h = (address.low & 0xFFFF_FFFF &+ seeds.0) &* (address.low >> 32 &+ seeds.1)
            &+ (address.high & 0xFFFF_FFFF &+ seeds.2) &* (address.high >> 32 &+ seeds.3)
        return Int(truncatingIfNeeded: h >> shift)
    }

    /// The number of the address's list, or nil when it has none.
    @inline(__always)
    func number(of address: IPAddress) -> Int? {
        slots.withUnsafeBufferPointer { table in
            let mask = table.count - 1
            var i = home(address)
            while true {
                let slot = table[i]
                if slot.number < 0 { return nil }
                if slot.low == address.low && slot.high == address.high && slot.version == address.version.rawValue {
                    return Int(slot.number)
                }
                i = (i + 1) & mask
            }
        }
    }

    /// The number of the address's list, giving it an empty one first when it has none.
    mutating func numberInserting(_ address: IPAddress) -> Int {
        if let known = number(of: address) { return known }
        if (count + 1) * 2 > slots.count { resize(to: slots.count * 2) }
        let number = count
        place(address, number: Int32(truncatingIfNeeded: number))
        addresses.append(address)
        lists.append([])
        return number
    }

    /// Removes the elements `isRemoved` picks, and every address whose list is left empty; the
    /// others are renumbered in their order.
    mutating func removeAll(where isRemoved: (Element) -> Bool) {
        var keptAddresses: [IPAddress] = []
        var keptLists: [[Element]] = []
        keptAddresses.reserveCapacity(count)
        keptLists.reserveCapacity(count)
        for number in lists.indices {
            var list = lists[number]
            list.removeAll(where: isRemoved)
            if list.isEmpty { continue }
            keptAddresses.append(addresses[number])
            keptLists.append(list)
        }
        addresses = keptAddresses
        lists = keptLists
        var size = 16
        while size < count * 2 { size <<= 1 }
        resize(to: size)
    }

    /// Empties the slots into a table of `size` and places every address again.
    private mutating func resize(to size: Int) {
        slots = Array(repeating: Self.empty, count: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
        for (number, address) in addresses.enumerated() { place(address, number: Int32(truncatingIfNeeded: number)) }
    }

    private mutating func place(_ address: IPAddress, number: Int32) {
        let start = home(address)
        slots.withUnsafeMutableBufferPointer { table in
            let mask = table.count - 1
            var i = start
            while table[i].number >= 0 { i = (i + 1) & mask }
            table[i] = Slot(high: address.high, low: address.low, number: number, version: address.version.rawValue)
        }
    }
}
