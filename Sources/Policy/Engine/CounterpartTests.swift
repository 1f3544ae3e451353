import FlowCore

/// What one endpoint's walks in one direction can observe about the other end of a flow, as
/// plain numbers: the distinct `source` (ingress) or `destination` (egress) entity rules of every
/// policy that selects the endpoint there (enforced and pending) and of its profiles' rules.
///
/// Why: between two pods never seen together the class cache cannot help (4,096 pods in a few
/// thousand match classes make millions of class pairs), yet a walk only ever asks a handful of
/// questions about the other end (is it selected by `app == "api"`, is it in 10.0.0.0/8, does
/// it declare the named port `http` at this port). The answers, one bit per distinct entity
/// rule, are the other end's *view*; every other end with the same view gets the same walk, so
/// walks are cached per (walked end's class, direction, view, packet fields) and a new pair
/// costs a few memo lookups instead of a walk (`PolicyEngine+DirectionWalks.swift`).
///
/// A test reproduces `PolicyEngine.matches(_:_:_:)` for one entity rule without services and
/// domains; an endpoint whose rules name a service on the other side is not viewed this way
/// (its walks are not cached per direction, see `CounterpartPrograms.unviewable`).
struct CounterpartTest: Hashable {
    var nets: Range<Int32>
    var notNets: Range<Int32>
    var selector: Int32
    var notSelector: Int32
    var ports: Range<Int32>
    var notPorts: Range<Int32>
}

/// The tests of every (entity class, direction) met so far, in flat arrays shared by all.
struct CounterpartPrograms {
    /// A program's tests: `tests[start ..< start + count]`.
    struct Program {
        let start: Int32
        let count: Int32
    }

    static let unknown: Int64 = -1
    /// The walks can observe something about the other end a test does not reproduce.
    static let unviewable: Int64 = -2

    private(set) var tests: [CounterpartTest] = []
    private(set) var prefixes: [IPPrefix] = []
    /// A port range as `lo << 16 | hi`; a named port as `1 << 63 | name number`.
    private(set) var ports: [UInt64] = []
    /// Per entity class and direction (`class * 2 + (egress ? 1 : 0)`): `start << 32 | count`,
    /// or `unknown` / `unviewable`.
    private var programs: [Int64] = []
    /// Named ports by number, rule and endpoint names alike.
    private(set) var portNames: [String: UInt32] = [:]

    static let namedFlag: UInt64 = 1 << 63

    func program(entityClass: Int, egress: Bool) -> Int64 {
        let slot = entityClass * 2 + (egress ? 1 : 0)
        return slot < programs.count ? programs[slot] : Self.unknown
    }

    mutating func portName(_ name: String) -> UInt32 {
        if let known = portNames[name] { return known }
        let number = UInt32(portNames.count)
        portNames[name] = number
        return number
    }

    /// Records the program of `entityClass` in one direction: the distinct entity rules given,
    /// leaving out those that test nothing (they hold for every other end).
    mutating func add(entityClass: Int, egress: Bool, entities: [CompiledEntity]) -> Int64 {
        let slot = entityClass * 2 + (egress ? 1 : 0)
        if programs.count <= slot { programs.append(contentsOf: repeatElement(Self.unknown, count: slot + 1 - programs.count)) }
        if entities.contains(where: { $0.service != nil || !$0.domains.isEmpty }) {
            programs[slot] = Self.unviewable
            return Self.unviewable
        }
        struct Content: Hashable {
            let nets: [IPPrefix], notNets: [IPPrefix], selector: Int, notSelector: Int
            let ports: [PortMatch], notPorts: [PortMatch]
        }
        var seen: Set<Content> = []
        let start = tests.count
        for e in entities {
            let content = Content(nets: e.nets, notNets: e.notNets, selector: e.selector, notSelector: e.notSelector,
                                  ports: e.ports, notPorts: e.notPorts)
            let testsNothing = e.nets.isEmpty && e.notNets.isEmpty && e.selector < 0 && e.notSelector < 0
                && e.ports.isEmpty && e.notPorts.isEmpty
            guard !testsNothing, seen.insert(content).inserted else { continue }
            tests.append(test(for: e))
        }
        let program = Int64(start) << 32 | Int64(tests.count - start)
        programs[slot] = program
        return program
    }

    /// The test of one entity rule (with no service or domains), its lists appended to the shared arrays.
    mutating func test(for e: CompiledEntity) -> CounterpartTest {
        CounterpartTest(nets: append(e.nets), notNets: append(e.notNets), selector: Int32(e.selector),
                        notSelector: Int32(e.notSelector), ports: append(e.ports), notPorts: append(e.notPorts))
    }

    private mutating func append(_ list: [IPPrefix]) -> Range<Int32> {
        let start = Int32(prefixes.count)
        prefixes.append(contentsOf: list)
        return start..<Int32(prefixes.count)
    }

    private mutating func append(_ list: [PortMatch]) -> Range<Int32> {
        let start = Int32(ports.count)
        for port in list {
            switch port {
            case let .range(lo, hi): ports.append(UInt64(lo) << 16 | UInt64(hi))
            case let .named(name): ports.append(Self.namedFlag | UInt64(portName(name)))
            }
        }
        return start..<Int32(ports.count)
    }
}

extension CounterpartPrograms {
    /// The other end's answers to the tests `start ..< start + count`, bit `k % 64` of word
    /// `k / 64` for test k (one word when there are none). `portWords`/`portStart`: the
    /// engine's named ports per entity.
    func answers(start: Int, count: Int, other: FlowSide, ipProtocol: IPProtocol, memo: inout SelectorMemo,
                 portWords: [UInt64], portStart: [Int32], into words: inout [UInt64]) {
        words.removeAll(keepingCapacity: true)
        var word: UInt64 = 0
        for k in 0..<count {
            if passes(tests[start + k], other, ipProtocol, memo: &memo, portWords: portWords, portStart: portStart) {
                word |= 1 << UInt64(k & 63)
            }
            if k & 63 == 63 {
                words.append(word)
                word = 0
            }
        }
        if count & 63 != 0 || count == 0 { words.append(word) }
    }

    /// `PolicyEngine.matches(_:_:_:)` of the entity rule the test was made from, for the other
    /// end `side` (whose port is the one the rule's ports are compared with).
    @inline(__always)
    func passes(_ test: CounterpartTest, _ side: FlowSide, _ ipProtocol: IPProtocol, memo: inout SelectorMemo,
                portWords: [UInt64], portStart: [Int32]) -> Bool {
        if !test.nets.isEmpty {
            var inside = false
            for i in test.nets where prefixes[Int(i)].contains(side.address) {
                inside = true
                break
            }
            if !inside { return false }
        }
        for i in test.notNets where prefixes[Int(i)].contains(side.address) { return false }
        if test.selector >= 0, !memo.matchesAny(Int(test.selector), endpoint: side.endpoint, sets: side.sets) { return false }
        if test.notSelector >= 0, memo.matchesAny(Int(test.notSelector), endpoint: side.endpoint, sets: side.sets) { return false }
        if !test.ports.isEmpty {
            guard ipProtocol.hasPorts else { return false }
            var matched = false
            for i in test.ports
            where portPasses(ports[Int(i)], side, ipProtocol, selector: test.selector, memo: &memo, portWords: portWords, portStart: portStart) {
                matched = true
                break
            }
            if !matched { return false }
        }
        if !test.notPorts.isEmpty, ipProtocol.hasPorts {
            for i in test.notPorts
            where portPasses(ports[Int(i)], side, ipProtocol, selector: test.selector, memo: &memo, portWords: portWords, portStart: portStart) {
                return false
            }
        }
        return true
    }

    /// `portMatches` with the port as a `ports` word and named ports by number.
    @inline(__always)
    private func portPasses(_ word: UInt64, _ side: FlowSide, _ ipProtocol: IPProtocol, selector: Int32, memo: inout SelectorMemo,
                            portWords: [UInt64], portStart: [Int32]) -> Bool {
        guard word & Self.namedFlag != 0 else {
            return side.port >= UInt16(truncatingIfNeeded: word >> 16) && side.port <= UInt16(truncatingIfNeeded: word)
        }
        guard side.endpoint >= 0 else { return false }
        if selector >= 0, !memo.matches(Int(selector), entity: side.endpoint) { return false }
        let wanted = (word & 0xFFFF_FFFF) << 32 | UInt64(ipProtocol.rawValue) << 16 | UInt64(side.port)
        for i in Int(portStart[side.endpoint])..<Int(portStart[side.endpoint + 1]) where portWords[i] == wanted { return true }
        return false
    }
}
