import FlowCore

/// The two ends of a flow decided by class, as the walks cached per direction key them.
struct WalkEnds {
    /// Match classes of the source and destination addresses.
    let sourceClass: Int32
    let destinationClass: Int32
    /// The class key's packet word (`packetWord`) and destination names' number.
    let packet: UInt64
    let domainsID: Int32
}

/// One direction's walks for one key of the direction cache: the enforced and the pending trace,
/// by number in the engine's `traceTable` (-1: not walked yet). One entry holds both, so the
/// pending walk costs no probe of its own.
struct DirectionEntry {
    var enforced: Int32
    var pending: Int32
}

extension PolicyEngine {
    /// One direction's walk at `endpoint` for a flow decided by class: the walk made before for
    /// an endpoint of the same class whose other end had the same view (`CounterpartTests`)
    /// with the same packet fields, else a walk (kept). `entry` holds the direction cache's entry
    /// once found (-1 before, -2 when this endpoint's rules cannot be viewed), so the enforced
    /// and pending walks of one direction look it up once.
    func directionWalk(endpoint: Int, direction: PolicyDirection, facts: FlowFacts, pending: Bool, ends: WalkEnds,
                       entry: inout Int) -> Int32 {
        if entry == -1 { entry = directionEntry(endpoint: endpoint, direction: direction, facts: facts, ends: ends) }
        if entry < 0 { return walk(endpoint: endpoint, direction: direction, facts: facts, pending: pending, log: nil) }
        let known = pending ? directionEntries[entry].pending : directionEntries[entry].enforced
        if known >= 0 {
            directionHits += 1
            return known
        }
        directionWalks += 1
        let walked = walk(endpoint: endpoint, direction: direction, facts: facts, pending: pending, log: nil)
        if pending { directionEntries[entry].pending = walked } else { directionEntries[entry].enforced = walked }
        return walked
    }

    /// The index in `directionEntries` of the entry for this direction's walks at `endpoint`
    /// (made empty when new), or -2 when the endpoint's rules cannot be viewed.
    private func directionEntry(endpoint: Int, direction: PolicyDirection, facts: FlowFacts, ends: WalkEnds) -> Int {
        let egress = direction == .egress
        let walkedClass = egress ? ends.sourceClass : ends.destinationClass
        // The other end's port is tested only by its side of the rules, so the view holds its
        // answers: the key leaves it out (the destination port from egress walks, the source
        // port from ingress walks), and walks to every port of a service share one.
        let otherPortShift: UInt64 = egress ? 32 : 48
        let packet = ends.packet & ~(0xFFFF << otherPortShift)
        let domains = UInt32(bitPattern: ends.domainsID)
        guard viewOtherEnd(endpoint: endpoint, egress: egress, other: egress ? facts.destination : facts.source,
                           ipProtocol: facts.ipProtocol)
        else { return -2 }
        let key: KeyNumbering.Key
        if keysViewsByWord, viewWords.count == 1, walkedClass >= 0, walkedClass < 1 << 16, domains < 1 << 30 {
            // The usual case, a view of at most 64 tests: keyed by the view itself (with the walked
            // class in the other port's place), one probe and no view number. The top bit of `c`
            // keeps these keys apart from those keyed by a view number, the next one tells the
            // directions apart. The direction cannot share the class's slot: that slot is the
            // destination port in an egress key and the source port in an ingress key, so with
            // the class shifted left and the direction in its low bit, the egress key of class k
            // from source port 2c was the ingress key of class c to destination port 2k + 1, and
            // one walk answered with the other's trace (class numbers follow the order addresses
            // are first met, so which flows collided changed from engine to engine).
            key = KeyNumbering.Key(a: viewWords[0], b: packet | UInt64(UInt32(walkedClass)) << otherPortShift,
                                   c: domains | 1 << 31 | (egress ? 1 << 30 : 0))
        } else {
            key = KeyNumbering.Key(a: UInt64(numberView(walkedClass: walkedClass, egress: egress)), b: packet, c: domains)
        }
        if let known = directionWalkNumbers.number(of: key) { return known }
        if directionWalkNumbers.count >= options.cacheCapacity { forgetDirectionWalks() }
        directionEntries.append(DirectionEntry(enforced: -1, pending: -1))
        return directionWalkNumbers.insert(key)
    }

    func forgetDirectionWalks() {
        directionWalkNumbers.removeAll()
        directionEntries.removeAll(keepingCapacity: true)
    }

    /// View numbers are only meaningful to the walks keyed by them: both start afresh.
    func forgetViews() {
        viewNumbers.removeAll()
        forgetDirectionWalks()
    }

    /// The number of the view in `viewWords`: each word is numbered together with the number of
    /// what came before it (the walked class and direction first), so a view of any length
    /// stays exact.
    private func numberView(walkedClass: Int32, egress: Bool) -> Int {
        if viewNumbers.count + viewWords.count + 1 >= options.cacheCapacity { forgetViews() }
        var number = UInt64(UInt32(bitPattern: walkedClass)) << 1 | (egress ? 1 : 0)
        for (i, word) in viewWords.enumerated() {
            let key = KeyNumbering.Key(a: word, b: number, c: UInt32(i))
            number = UInt64(viewNumbers.number(of: key) ?? viewNumbers.insert(key))
        }
        return Int(number)
    }

    /// Puts the other end's view from `endpoint` in one direction into `viewWords`; false when
    /// the endpoint's rules test the other end in ways the tests do not reproduce.
    private func viewOtherEnd(endpoint: Int, egress: Bool, other: FlowSide, ipProtocol: IPProtocol) -> Bool {
        let program = counterpartProgram(endpoint: endpoint, egress: egress)
        if program < 0 { return false }
        let start = Int(program >> 32), count = Int(program & 0xFFFF_FFFF)
        // The view's bits, 64 to a word.
        counterparts.answers(start: start, count: count, other: other, ipProtocol: ipProtocol, memo: &memo,
                             portWords: endpointPortWords, portStart: endpointPortStart, into: &viewWords)
        return true
    }

    /// The program of the endpoint's class in one direction, made on first use.
    private func counterpartProgram(endpoint: Int, egress: Bool) -> Int64 {
        let entityClass = classes.entityClass(endpoint, in: index)
        let known = counterparts.program(entityClass: entityClass, egress: egress)
        if known != CounterpartPrograms.unknown { return known }
        let direction: PolicyDirection = egress ? .egress : .ingress
        let plan = plan(for: endpoint)
        var entities: [CompiledEntity] = []
        for pending in [false, true] {
            for (_, selected) in plan.tiers(direction, pending: pending) {
                for p in selected {
                    for rule in egress ? egressRules[p] : ingressRules[p] { entities.append(egress ? rule.destination : rule.source) }
                }
            }
        }
        for profile in entityProfiles[endpoint] where !profile.allows {
            guard let compiled = profiles[profileNames[profile.name]] else { continue }
            for rule in compiled.rules(direction) { entities.append(egress ? rule.destination : rule.source) }
        }
        return counterparts.add(entityClass: entityClass, egress: egress, entities: entities)
    }
}
