import FlowCore

/// Every address the engine met at a flow end, numbered (`KeyNumbering`), with what it derived
/// from it once: the endpoint and network sets there, its match class, the service there and,
/// where it does not depend on the other end, its flow-log identity. Arrays by number, so a flow
/// whose decision is cached reads two numbers and no value holding a reference.
struct AddressTable {
    /// What a new address pair reads of each end, side by side (one array read, one cache line),
    /// all plain integers: identities and services by their numbers in the engine's annotation
    /// numbering (`PolicyEngine.identityNumber`, `serviceNumber`), which name the values.
    struct Facts {
        /// Workload or host endpoint entity there, -1 when none.
        let endpoint: Int32
        let matchClass: Int32
        /// `chosenWithOtherEnd` for an address that is in network sets and no endpoint, whose
        /// identifying set is chosen with the other end's namespace.
        let identityNumber: UInt32
        let serviceNumber: UInt32

        static let chosenWithOtherEnd = UInt32.max
    }

    private var numbers: KeyNumbering
    private(set) var address: [IPAddress] = []
    private(set) var facts: [Facts] = []
    /// Network-set entities containing the address (longest prefix first); mostly empty.
    private(set) var sets: [[Int]] = []
    /// `<ns>/<name>` of the service there, "" when none (see `EndpointIndex.service`).
    private(set) var service: [String] = []

    init(minimumCapacity: Int = 16) {
        numbers = KeyNumbering(minimumCapacity: minimumCapacity)
    }

    var count: Int { numbers.count }

    @inline(__always)
    static func key(_ address: IPAddress) -> KeyNumbering.Key {
        KeyNumbering.Key(a: address.high, b: address.low, c: UInt32(address.version.rawValue))
    }

    @inline(__always)
    func number(of address: IPAddress) -> Int? { numbers.number(of: Self.key(address)) }

    /// See `KeyNumbering.prefetch` (mutating for the same reason).
    @inline(__always)
    mutating func prefetch(_ address: IPAddress) { numbers.prefetch(Self.key(address)) }

    /// `number(of:)` for the engine's later prefetch stages (mutating for the same reason).
    @inline(__always)
    mutating func peekNumber(of address: IPAddress) -> Int? { numbers.peekNumber(of: Self.key(address)) }

    /// Asks for the facts of a numbered address ahead of the lookup that reads them. A hint only.
    @inline(__always)
    mutating func prefetchFacts(_ number: Int) { facts.prefetchElement(number) }

    /// The facts of a numbered address for the prefetch stages (mutating for the same reason).
    @inline(__always)
    mutating func peekFacts(_ number: Int) -> Facts? {
        facts.withUnsafeBufferPointer { number < $0.count ? $0[number] : nil }
    }

    /// Numbers an address `number(of:)` did not find.
    mutating func add(_ address: IPAddress, facts: Facts, sets: [Int], service: String) -> Int {
        self.address.append(address)
        self.facts.append(facts)
        self.sets.append(sets)
        self.service.append(service)
        return numbers.insert(Self.key(address))
    }

    mutating func removeAll() {
        numbers.removeAll()
        address.removeAll(keepingCapacity: true)
        facts.removeAll(keepingCapacity: true)
        sets.removeAll(keepingCapacity: true)
        service.removeAll(keepingCapacity: true)
    }
}
