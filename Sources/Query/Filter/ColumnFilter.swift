import FlowCore
import SegmentStore

/// A filter compiled to decide a stored block's rows before they are built.
///
/// Most of what a filter tests is the same for every row of a conversation (addresses,
/// destination port, protocol, VLAN, and everything in the annotation, node and domain names),
/// so those leaves are tested once per conversation, and the ones about the annotation once
/// per prepared record, which many conversations share. Each conversation then gets a mask of
/// leaf answers and a decision: no row can match, every row matches, or the answer depends on
/// per-row fields (counters, the source port), which are then read from their columns for
/// that row alone. Only rows that match become records, so a selective filter costs a few
/// column reads per row instead of a whole record.
///
/// The filter runs as a postfix program over one-bit registers: two words hold a stack of
/// three-valued answers (known, value) when deciding a conversation, one word a stack of
/// answers when testing a row. No closures, existentials or allocation per row.
struct ColumnFilter {
    enum Step: Equatable {
        /// A leaf answered per conversation: its bit in the conversation's mask.
        case leaf(UInt8)
        /// A leaf about the row: a counter compared with a value…
        case counter(FlowCounter, ComparisonOperator, UInt64)
        /// …or the source port.
        case sourcePort(ComparisonOperator, UInt16)
        case constant(Bool)
        case not, and, or
    }

    let steps: [Step]
    /// Leaves reading the annotation, node or domain names (bits 0…), then leaves reading the
    /// conversation's fields (the bits after).
    let preparedLeaves: [FilterPredicate]
    let routeLeaves: [RouteTest]
    /// Whether any step reads a row (else every conversation is decided whole).
    let readsRows: Bool
    /// When every leaf on the annotation tests one side's identity (namespace, name,
    /// aggregated name, type, labels), those leaves: they are then answered once per identity
    /// of the block, and prepared records are never built.
    let identityLeaves: [FilterPredicate]?
    /// Whether screening reads the prepared records at all: for leaves on the annotation, or
    /// for who reports the flow (which swaps counters `…_in`/`…_out`). When not, a block's
    /// annotations are never built.
    let readsPrepared: Bool
    /// Route leaves on addresses, answered once per address of the block: their bits in a
    /// conversation's mask come from its source's answers (`sourceAddressBits`: leaves on the
    /// source or either side) and its destination's (`destinationAddressBits`).
    private let addressLeaves: [(bit: UInt64, prefix: IPPrefix)]
    private let sourceAddressBits: UInt64
    private let destinationAddressBits: UInt64
    /// The other route leaves (port, protocol, VLAN), answered per conversation from its columns.
    private let conversationLeaves: [(bit: UInt64, test: RouteTest)]

    /// Bit 63 of a mask: the flow reports at its destination (counters `…_in`/`…_out` swap).
    static let reportsAtDestinationBit: UInt64 = 1 << 63
    static let maximumLeaves = 63
    static let maximumDepth = 64

    enum Decision: UInt8 { case reject, accept, testRows }

    // Per block, reused.
    private var preparedMasks: [UInt64] = []
    /// Per identity of the block: bit k set when identity leaf k's text or test holds for it;
    /// bit 63 when not yet worked out.
    private var identityBits: [UInt64] = []
    private(set) var masks: [UInt64] = []
    /// Per address of the block: bits of the address leaves whose prefix holds it.
    private var addressMasks: [UInt64] = []
    private(set) var decisions: [Decision] = []

    /// nil when the filter has more leaves or nesting than the registers hold (the scan then
    /// tests whole records).
    init?(_ expression: FilterExpression) {
        var steps: [Step] = []
        var prepared: [FilterPredicate] = []
        var route: [RouteTest] = []
        var preparedSteps: [(step: Int, leaf: Int)] = []
        var routeSteps: [(step: Int, leaf: Int)] = []
        func emit(_ e: FilterExpression) {
            switch e {
            case .all: steps.append(.constant(true))
            case .not(let inner): emit(inner); steps.append(.not)
            case .and(let l, let r): emit(l); emit(r); steps.append(.and)
            case .or(let l, let r): emit(l); emit(r); steps.append(.or)
            case .predicate(let p):
                switch p {
                case .counter(let counter, let op, let value):
                    steps.append(.counter(counter, op, value))
                case .port(.source, let op, let port):
                    steps.append(.sourcePort(op, port))
                case .port(.either, let op, let port):
                    steps.append(.sourcePort(op, port))
                    routeSteps.append((steps.count, route.count))
                    route.append(.destinationPort(op, port))
                    steps.append(.leaf(0))
                    steps.append(.or)
                case .address(let side, let prefix):
                    routeSteps.append((steps.count, route.count))
                    route.append(.address(side, prefix))
                    steps.append(.leaf(0))
                case .port(.destination, let op, let port):
                    routeSteps.append((steps.count, route.count))
                    route.append(.destinationPort(op, port))
                    steps.append(.leaf(0))
                case .ipProtocol(let p):
                    routeSteps.append((steps.count, route.count))
                    route.append(.ipProtocol(p))
                    steps.append(.leaf(0))
                case .vlan(let op, let id):
                    routeSteps.append((steps.count, route.count))
                    route.append(.vlan(op, id))
                    steps.append(.leaf(0))
                default:
                    preparedSteps.append((steps.count, prepared.count))
                    prepared.append(p)
                    steps.append(.leaf(0))
                }
            }
        }
        emit(expression)
        guard prepared.count + route.count <= Self.maximumLeaves else { return nil }
        for (step, leaf) in preparedSteps { steps[step] = .leaf(UInt8(leaf)) }
        for (step, leaf) in routeSteps { steps[step] = .leaf(UInt8(prepared.count + leaf)) }
        var depth = 0, deepest = 0
        for step in steps {
            switch step {
            case .leaf, .counter, .sourcePort, .constant: depth += 1
            case .not: break
            case .and, .or: depth -= 1
            }
            deepest = max(deepest, depth)
        }
        guard deepest <= Self.maximumDepth else { return nil }
        self.steps = steps
        preparedLeaves = prepared
        routeLeaves = route
        readsRows = steps.contains { if case .counter = $0 { return true }; if case .sourcePort = $0 { return true }; return false }
        identityLeaves = prepared.isEmpty || !prepared.allSatisfy(\.isIdentityTest) ? nil : prepared
        readsPrepared = !prepared.isEmpty || steps.contains {
            guard case .counter(let counter, _, _) = $0 else { return false }
            return [.packetsIn, .packetsOut, .bytesIn, .bytesOut].contains(counter)
        }
        var addressLeaves: [(bit: UInt64, prefix: IPPrefix)] = [], conversationLeaves: [(bit: UInt64, test: RouteTest)] = []
        var sourceBits: UInt64 = 0, destinationBits: UInt64 = 0
        for (k, test) in route.enumerated() {
            let bit = UInt64(prepared.count + k)
            guard case .address(let side, let prefix) = test else {
                conversationLeaves.append((bit, test))
                continue
            }
            addressLeaves.append((bit, prefix))
            if side != .destination { sourceBits |= 1 << bit }
            if side != .source { destinationBits |= 1 << bit }
        }
        self.addressLeaves = addressLeaves
        self.conversationLeaves = conversationLeaves
        sourceAddressBits = sourceBits
        destinationAddressBits = destinationBits
    }

    /// Decides every conversation of `block`.
    mutating func screen(_ block: BlockRows) {
        let preparedCount = block.preparedCount
        preparedMasks.removeAll(keepingCapacity: true)
        if identityLeaves != nil {
            identityBits.removeAll(keepingCapacity: true)
            identityBits.append(contentsOf: repeatElement(Self.unknownIdentityBit, count: block.identityCount))
        }
        for t in 0..<(readsPrepared ? preparedCount : 0) {
            // Without leaves on the annotation the prepared record is not built: only who
            // reports the flow matters (to counters `…_in`/`…_out`), read from the trace bytes.
            guard !preparedLeaves.isEmpty else {
                preparedMasks.append(block.preparedReportsAtDestination(t) ? Self.reportsAtDestinationBit : 0)
                continue
            }
            if let identityLeaves {
                let mask = identityMask(block, prepared: t, leaves: identityLeaves)
                preparedMasks.append(mask)
                continue
            }
            let record = block.prepared(t)
            var mask: UInt64 = 0
            switch record.annotation {
            case .some(let a):
                for (bit, leaf) in preparedLeaves.enumerated() where leaf.evaluate(record, a, annotated: true) {
                    mask |= 1 << UInt64(bit)
                }
                if a.reportsAtDestination { mask |= Self.reportsAtDestinationBit }
            case .none:
                for (bit, leaf) in preparedLeaves.enumerated() where leaf.evaluate(record, .absent, annotated: false) {
                    mask |= 1 << UInt64(bit)
                }
            }
            preparedMasks.append(mask)
        }
        let conversations = block.conversationCount
        let columns = block.conversationColumns
        // Each address of the block is tested once; conversations OR their two answers in.
        if !addressLeaves.isEmpty {
            var answers = addressMasks
            addressMasks = []
            answers.removeAll(keepingCapacity: true)
            for n in 0..<columns.addressCount {
                let address = columns.address(n)
                var m: UInt64 = 0
                for leaf in addressLeaves where leaf.prefix.contains(address) { m |= 1 << leaf.bit }
                answers.append(m)
            }
            addressMasks = answers
        }
        masks.removeAll(keepingCapacity: true)
        decisions.removeAll(keepingCapacity: true)
        // Neighbouring conversations mostly get the same mask: decide it once.
        var lastMask: UInt64 = 0, lastDecision = decide(0)
        let addressAnswers = addressMasks, sourceBits = sourceAddressBits, destinationBits = destinationAddressBits
        let testsAddresses = !addressLeaves.isEmpty
        for c in 0..<conversations {
            var mask = readsPrepared ? preparedMasks[block.preparedIndex(ofConversation: c)] : 0
            if testsAddresses {
                mask |= addressAnswers[columns.sourceAddressNumber(c)] & sourceBits
                    | addressAnswers[columns.destinationAddressNumber(c)] & destinationBits
            }
            for leaf in conversationLeaves where leaf.test.holds(conversation: c, of: columns) {
                mask |= 1 << leaf.bit
            }
            masks.append(mask)
            if mask != lastMask {
                lastMask = mask
                lastDecision = decide(mask)
            }
            decisions.append(lastDecision)
        }
    }

    private static let unknownIdentityBit: UInt64 = 1 << 63

    /// Prepared record `t`'s mask from its identities' answers, each identity worked out once
    /// per block (same answers as `FilterPredicate.evaluate` on the built record).
    private mutating func identityMask(_ block: BlockRows, prepared t: Int, leaves: [FilterPredicate]) -> UInt64 {
        var mask: UInt64 = block.preparedReportsAtDestination(t) ? Self.reportsAtDestinationBit : 0
        // Unannotated: identity tests are false.
        guard let (source, destination) = block.preparedIdentityNumbers(t) else { return mask }
        let s = bits(of: source, block, leaves), d = bits(of: destination, block, leaves)
        for (bit, leaf) in leaves.enumerated() {
            let k = UInt64(bit)
            let holds: UInt64
            switch leaf.identitySide {
            case .source: holds = s >> k & 1
            case .destination: holds = d >> k & 1
            case .either: holds = (s | d) >> k & 1
            }
            mask |= holds << k
        }
        return mask
    }

    private mutating func bits(of identity: Int, _ block: BlockRows, _ leaves: [FilterPredicate]) -> UInt64 {
        let known = identityBits[identity]
        guard known & Self.unknownIdentityBit != 0 else { return known }
        let value = block.identity(identity)
        var bits: UInt64 = 0
        for (bit, leaf) in leaves.enumerated() where leaf.holds(forIdentity: value) { bits |= 1 << UInt64(bit) }
        identityBits[identity] = bits
        return bits
    }

    /// Whether row `row` of the block last screened passes.
    @inline(__always)
    func admits(_ block: BlockRows, row: Int) -> Bool {
        let c = block.conversation(ofRow: row)
        switch decisions[c] {
        case .reject: return false
        case .accept: return true
        case .testRows: return test(block, row: row, mask: masks[c])
        }
    }

    /// The conversation's answer with row leaves unknown (three-valued).
    private func decide(_ mask: UInt64) -> Decision {
        var known: UInt64 = 0, value: UInt64 = 0
        for step in steps {
            switch step {
            case .leaf(let bit):
                known = known << 1 | 1
                value = value << 1 | (mask >> UInt64(bit) & 1)
            case .constant(let b):
                known = known << 1 | 1
                value = value << 1 | (b ? 1 : 0)
            case .counter, .sourcePort:
                known <<= 1
                value <<= 1
            case .not:
                value ^= 1
            case .and, .or:
                let k1 = known & 1, v1 = value & 1, k2 = known >> 1 & 1, v2 = value >> 1 & 1
                let k: UInt64, v: UInt64
                if step == .and {
                    let isFalse = (k1 & ~v1 | k2 & ~v2) & 1
                    let isTrue = k1 & v1 & k2 & v2
                    k = isFalse | isTrue
                    v = isTrue
                } else {
                    let isTrue = (k1 & v1 | k2 & v2) & 1
                    let isFalse = k1 & ~v1 & k2 & ~v2 & 1
                    k = isTrue | isFalse
                    v = isTrue
                }
                known = (known >> 2) << 1 | k
                value = (value >> 2) << 1 | v
            }
        }
        guard known & 1 == 1 else { return .testRows }
        return value & 1 == 1 ? .accept : .reject
    }

    /// The row's answer: conversation leaves from `mask`, row leaves from the columns.
    private func test(_ block: BlockRows, row: Int, mask: UInt64) -> Bool {
        var stack: UInt64 = 0
        for step in steps {
            switch step {
            case .leaf(let bit):
                stack = stack << 1 | (mask >> UInt64(bit) & 1)
            case .constant(let b):
                stack = stack << 1 | (b ? 1 : 0)
            case .counter(let counter, let op, let wanted):
                let v = counter.value(packetsOut: block.packetsOut(ofRow: row), bytesOut: block.bytesOut(ofRow: row),
                                      packetsIn: block.packetsIn(ofRow: row), bytesIn: block.bytesIn(ofRow: row),
                                      reportedByDestination: mask & Self.reportsAtDestinationBit != 0)
                stack = stack << 1 | (op.holds(v, wanted) ? 1 : 0)
            case .sourcePort(let op, let port):
                stack = stack << 1 | (op.holds(UInt64(block.sourcePort(ofRow: row)), UInt64(port)) ? 1 : 0)
            case .not:
                stack ^= 1
            case .and:
                stack = (stack >> 2) << 1 | (stack & stack >> 1 & 1)
            case .or:
                stack = (stack >> 2) << 1 | ((stack | stack >> 1) & 1)
            }
        }
        return stack & 1 == 1
    }
}

extension FilterPredicate {
    /// Tests one side's identity alone (`identitySide` says which side).
    var isIdentityTest: Bool {
        switch self {
        case .namespace, .name, .aggregatedName, .endpointKind, .labels: return true
        default: return false
        }
    }

    var identitySide: FlowSide {
        switch self {
        case .namespace(let side, _), .name(let side, _), .aggregatedName(let side, _), .endpointKind(let side, _),
             .labels(let side, _):
            return side
        default: return .either
        }
    }

    /// An identity test's answer for one identity (the side aside).
    func holds(forIdentity identity: EndpointIdentity) -> Bool {
        switch self {
        case .namespace(_, let match): return match.matches(identity.namespace)
        case .name(_, let match): return match.matches(identity.name)
        case .aggregatedName(_, let match): return match.matches(identity.aggregatedName)
        case .endpointKind(_, let kind): return identity.kind == kind
        case .labels(_, let selector): return selector.matches(identity.labels)
        default: return false
        }
    }
}

/// A filter test on the fields a conversation fixes (trivial payloads: testing one copies
/// nothing that is reference counted). Same meaning as the `FilterPredicate` it comes from.
enum RouteTest: Equatable {
    case address(FlowSide, IPPrefix)
    case destinationPort(ComparisonOperator, UInt16)
    case ipProtocol(IPProtocol)
    /// Untagged flows never match.
    case vlan(ComparisonOperator, UInt16)

    func holds(_ f: FlowRecord) -> Bool {
        switch self {
        case .address(.source, let prefix): return prefix.contains(f.sourceAddress)
        case .address(.destination, let prefix): return prefix.contains(f.destinationAddress)
        case .address(.either, let prefix): return prefix.contains(f.sourceAddress) || prefix.contains(f.destinationAddress)
        case .destinationPort(let op, let port): return op.holds(UInt64(f.destinationPort), UInt64(port))
        case .ipProtocol(let p): return f.ipProtocol == p
        case .vlan(let op, let id): return f.vlan != FlowRecord.noVLAN && op.holds(UInt64(f.vlan), UInt64(id))
        }
    }

    /// The same answer for conversation `c`, read from the block's columns (no record built).
    @inline(__always)
    func holds(conversation c: Int, of columns: ConversationColumns) -> Bool {
        switch self {
        case .address(.source, let prefix): return prefix.contains(columns.address(columns.sourceAddressNumber(c)))
        case .address(.destination, let prefix): return prefix.contains(columns.address(columns.destinationAddressNumber(c)))
        case .address(.either, let prefix):
            return prefix.contains(columns.address(columns.sourceAddressNumber(c)))
                || prefix.contains(columns.address(columns.destinationAddressNumber(c)))
        case .destinationPort(let op, let port): return op.holds(UInt64(columns.destinationPort(c)), UInt64(port))
        case .ipProtocol(let p): return columns.ipProtocol(c) == p
        case .vlan(let op, let id):
            let vlan = columns.vlan(c)
            return vlan != FlowRecord.noVLAN && op.holds(UInt64(vlan), UInt64(id))
        }
    }
}
