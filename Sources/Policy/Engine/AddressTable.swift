import FlowCore

/// Every address the engine met at a flow end, numbered (`KeyNumbering`), with what it derived
/// from it once: the endpoint and network sets there, its match class, the service there and,
/// where it does not depend on the other end, its flow-log identity. Arrays by number, so a flow
/// whose decision is cached reads two numbers and no value holding a reference.
struct AddressTable {
    private var numbers: KeyNumbering
    private(set) var address: [IPAddress] = []
    /// Workload or host endpoint entity there, -1 when none.
    private(set) var endpoint: [Int32] = []
    private(set) var matchClass: [Int32] = []
    /// Network-set entities containing the address (longest prefix first); mostly empty.
    private(set) var sets: [[Int]] = []
    /// `<ns>/<name>` of the service there, "" when none (see `EndpointIndex.service`).
    private(set) var service: [String] = []
    /// The flow-log identity; nil for an address that is in network sets and no endpoint, whose
    /// identifying set is chosen with the other end's namespace.
    private(set) var identity: [EndpointIdentity?] = []
    /// Beside `identity` and `service`: their numbers in the engine's annotation numbering
    /// (`PolicyEngine.identityNumber`, `serviceNumber`); the identity's is 0 where it is nil.
    private(set) var identityNumber: [UInt32] = []
    private(set) var serviceNumber: [UInt32] = []

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

    /// Numbers an address `number(of:)` did not find.
    mutating func add(_ address: IPAddress, endpoint: Int, matchClass: Int, sets: [Int], service: String,
                      serviceNumber: UInt32, identity: EndpointIdentity?, identityNumber: UInt32) -> Int {
        self.address.append(address)
        self.endpoint.append(Int32(truncatingIfNeeded: endpoint))
        self.matchClass.append(Int32(truncatingIfNeeded: matchClass))
        self.sets.append(sets)
        self.service.append(service)
        self.identity.append(identity)
        self.identityNumber.append(identityNumber)
        self.serviceNumber.append(serviceNumber)
        return numbers.insert(Self.key(address))
    }

    mutating func removeAll() {
        numbers.removeAll()
        address.removeAll(keepingCapacity: true)
        endpoint.removeAll(keepingCapacity: true)
        matchClass.removeAll(keepingCapacity: true)
        sets.removeAll(keepingCapacity: true)
        service.removeAll(keepingCapacity: true)
        identity.removeAll(keepingCapacity: true)
        identityNumber.removeAll(keepingCapacity: true)
        serviceNumber.removeAll(keepingCapacity: true)
    }
}
