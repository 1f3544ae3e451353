import CPrefetch
import FlowCore

/// Deciding a batch of flows as a software pipeline: while flow `i` is annotated, the cache
/// lines flows `i + 2` to `i + 6` will read are already on their way.
///
/// On a busy node the engine's tables are megabytes and most flows are new to them, so looking
/// a flow up is a chain of dependent cache misses: the decision table's slot and both ends'
/// address slots; then, for a cached decision, its entry in `decisions` and the annotation's
/// box (whose reference count the copy handed out writes), or, for a new address pair, both
/// ends' facts and then the class table's slot. Each link's address is known only once the
/// link before it is read, so one prefetch cannot reach past the first link. Three stages do,
/// each reading only what the stage before fetched (by then in the cache, so a probe costs a
/// few instructions and no wait):
///
/// | stage | flows ahead | reads (cached by the stage before) | asks for |
/// |---|---:|---|---|
/// | `prefetch` | 6 | – | the decision slot, both address slots |
/// | `prefetchFound` | 4 | those slots | the decision's `decisions` entry, or both ends' facts |
/// | `prefetchDecided` | 2 | the entry, or the facts | the annotation's box, or the class slot |
///
/// Every stage is a hint: it changes no table and no number, so what `annotate` returns cannot
/// depend on it (`BatchPrefetchTests` compares batches with the plain engine). A stage that
/// meets something it cannot work out without changing a table (a key with domain names,
/// whose number only `annotate` hands out; an address not numbered yet) stops there.
extension PolicyEngine {
    /// How many flows ahead of the one being annotated a batch runs the first stage
    /// (`prefetch`): far enough for a miss to memory to land, near enough that the lines are
    /// still there.
    public static let prefetchDistance = 6
    /// How many flows ahead the second stage runs (`prefetchFound`).
    public static let foundPrefetchDistance = 4
    /// How many flows ahead the third stage runs (`prefetchDecided`).
    public static let decidedPrefetchDistance = 2

    /// Stage 1: asks for the cache lines `annotate(flow)` probes first: the decision table's
    /// slot (between IPv4 addresses) and both ends' address slots.
    @inline(__always)
    public func prefetch(_ flow: FlowRecord, destinationDomains: DomainNames = .none) {
        guard options.cachesDecisions else { return }
        addresses.prefetch(flow.sourceAddress)
        addresses.prefetch(flow.destinationAddress)
        // A key with names holds their number, which only `annotate` may hand out.
        guard flow.sourceAddress.version == .v4, flow.destinationAddress.version == .v4,
              !keysOnDomains || destinationDomains.isEmpty else { return }
        decisionNumbers.prefetch(decisionKey(flow, source: -1, destination: -1, bothIPv4: true, domainsID: 0))
    }

    /// Stage 2: with the slots of stage 1 in the cache, asks for what the lookup reads next:
    /// a cached decision's entry in `decisions`; else both ends' facts (and, between IPv6 ends,
    /// the decision slot, whose key needs the ends' numbers).
    @inline(__always)
    public func prefetchFound(_ flow: FlowRecord, destinationDomains: DomainNames = .none) {
        guard options.cachesDecisions, !keysOnDomains || destinationDomains.isEmpty else { return }
        let bothIPv4 = flow.sourceAddress.version == .v4 && flow.destinationAddress.version == .v4
        if bothIPv4, let known = decisionNumbers.peekNumber(of: decisionKey(flow, source: -1, destination: -1, bothIPv4: true, domainsID: 0)) {
            decisions.prefetchElement(known)
            return
        }
        guard let source = addresses.peekNumber(of: flow.sourceAddress),
              let destination = addresses.peekNumber(of: flow.destinationAddress) else { return }
        addresses.prefetchFacts(source)
        addresses.prefetchFacts(destination)
        if !bothIPv4 {
            decisionNumbers.prefetch(decisionKey(flow, source: source, destination: destination, bothIPv4: false, domainsID: 0))
        }
    }

    /// Stage 3: with stage 2's lines in the cache, asks for a cached decision's annotation box
    /// (the copy `annotate` returns writes its reference count), else for the class table's
    /// slot of the pair's classes, which `decideByClass` probes first.
    @inline(__always)
    public func prefetchDecided(_ flow: FlowRecord, destinationDomains: DomainNames = .none) {
        guard options.cachesDecisions, !keysOnDomains || destinationDomains.isEmpty else { return }
        let bothIPv4 = flow.sourceAddress.version == .v4 && flow.destinationAddress.version == .v4
        var source = -1, destination = -1
        if !bothIPv4 {
            guard let s = addresses.peekNumber(of: flow.sourceAddress),
                  let d = addresses.peekNumber(of: flow.destinationAddress) else { return }
            source = s
            destination = d
        }
        if let known = decisionNumbers.peekNumber(of: decisionKey(flow, source: source, destination: destination, bothIPv4: bothIPv4, domainsID: 0)) {
            decisions.prefetchBox(known)
            return
        }
        if bothIPv4 {
            guard let s = addresses.peekNumber(of: flow.sourceAddress),
                  let d = addresses.peekNumber(of: flow.destinationAddress) else { return }
            source = s
            destination = d
        }
        guard let sourceFacts = addresses.peekFacts(source), let destinationFacts = addresses.peekFacts(destination) else { return }
        classDecisionNumbers.prefetch(classKey(flow, source: sourceFacts, destination: destinationFacts, domainsID: 0))
    }

    /// The decision table's key of a flow: between IPv4 addresses the addresses themselves (so a
    /// cached flow needs one probe), otherwise both ends' numbers in the address table (from one
    /// generation of it); the version byte of the packet word tells the two kinds apart.
    @inline(__always)
    func decisionKey(_ flow: FlowRecord, source: Int, destination: Int, bothIPv4: Bool, domainsID: Int32) -> KeyNumbering.Key {
        let ports = packetWord(flow, sourcePort: keysOnSourcePort ? flow.sourcePort : 0, version: bothIPv4 ? 4 : 0)
        let ends = bothIPv4 ? flow.sourceAddress.low << 32 | flow.destinationAddress.low & 0xFFFF_FFFF
            : UInt64(UInt32(truncatingIfNeeded: source)) << 32 | UInt64(UInt32(truncatingIfNeeded: destination))
        return KeyNumbering.Key(a: ends, b: ports, c: UInt32(bitPattern: domainsID))
    }
}

extension Array {
    /// Asks for the element's cache line ahead of a read. A hint only: an index out of range
    /// asks for nothing. Mutating so that an array held in a class is read in place, not
    /// retained and released around the call.
    @inline(__always)
    mutating func prefetchElement(_ index: Int) {
        withUnsafeBufferPointer { elements in
            guard index >= 0, index < elements.count else { return }
            flowlog_prefetch_read(elements.baseAddress! + index)
        }
    }
}

extension Array where Element == FlowAnnotation {
    /// Asks for the box of the annotation at `index` (its header, with the reference count a
    /// copy writes) without copying the annotation, which would write it now. A hint only.
    @inline(__always)
    mutating func prefetchBox(_ index: Int) {
        withUnsafeBufferPointer { elements in
            guard index >= 0, index < elements.count else { return }
            flowlog_prefetch_write(FlowAnnotation.boxAddress(at: elements.baseAddress! + index))
        }
    }
}
