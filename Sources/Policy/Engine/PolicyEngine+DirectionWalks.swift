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

extension PolicyEngine {
    /// One direction's walk at `endpoint` for a flow decided by class: the walk made before for
    /// an endpoint of the same class whose other end had the same view (`CounterpartTests`)
    /// with the same packet fields, else a walk (kept). `view` holds the other end's view
    /// number once worked out (-1 before, -2 when this endpoint's rules cannot be viewed), so
    /// the enforced and pending walks of one direction work it out once.
    func directionWalk(endpoint: Int, direction: PolicyDirection, facts: FlowFacts, pending: Bool, ends: WalkEnds,
                       view: inout Int) -> PolicyTrace {
        let egress = direction == .egress
        if view == -1 {
            view = counterpartView(endpoint: endpoint, egress: egress, walkedClass: egress ? ends.sourceClass : ends.destinationClass,
                                   other: egress ? facts.destination : facts.source, ipProtocol: facts.ipProtocol)
        }
        if view < 0 { return walk(endpoint: endpoint, direction: direction, facts: facts, pending: pending, log: nil) }
        // The other end's port is tested only by its side of the rules, so the view holds its
        // answers: the key leaves it out (the destination port from egress walks, the source
        // port from ingress walks), and walks to every port of a service share one.
        let otherPort: UInt64 = egress ? 0xFFFF << 32 : 0xFFFF << 48
        let key = KeyNumbering.Key(a: UInt64(view) << 1 | (pending ? 1 : 0), b: ends.packet & ~otherPort,
                                   c: UInt32(bitPattern: ends.domainsID))
        if let known = directionWalkNumbers.number(of: key) {
            directionHits += 1
            return directionTraces[known]
        }
        directionWalks += 1
        let walked = walk(endpoint: endpoint, direction: direction, facts: facts, pending: pending, log: nil)
        if directionWalkNumbers.count >= options.cacheCapacity { forgetDirectionWalks() }
        directionWalkNumbers.insert(key)
        directionTraces.append(walked)
        return walked
    }

    func forgetDirectionWalks() {
        directionWalkNumbers.removeAll()
        directionTraces.removeAll(keepingCapacity: true)
    }

    /// View numbers are only meaningful to the walks keyed by them: both start afresh.
    func forgetViews() {
        viewNumbers.removeAll()
        forgetDirectionWalks()
    }

    /// The number of the other end's view from `endpoint` in one direction (with the walked
    /// end's match class, which fixes everything the walk sees of the walked end), or -2 when
    /// the endpoint's rules test the other end in ways the tests do not reproduce.
    private func counterpartView(endpoint: Int, egress: Bool, walkedClass: Int32, other: FlowSide, ipProtocol: IPProtocol) -> Int {
        let program = counterpartProgram(endpoint: endpoint, egress: egress)
        if program < 0 { return -2 }
        let start = Int(program >> 32), count = Int(program & 0xFFFF_FFFF)
        if viewNumbers.count + count / 64 + 1 >= options.cacheCapacity { forgetViews() }
        // The view's bits, 64 to a word, each word numbered together with the number of what
        // came before it (the walked class and direction first), so any length stays exact.
        counterparts.answers(start: start, count: count, other: other, ipProtocol: ipProtocol, memo: &memo,
                             portWords: endpointPortWords, portStart: endpointPortStart, into: &viewWords)
        // Each word of the view is numbered together with the number of what came before it
        // (the walked class and direction first), so a view of any length stays exact.
        var number = UInt64(UInt32(bitPattern: walkedClass)) << 1 | (egress ? 1 : 0)
        for (i, word) in viewWords.enumerated() {
            let key = KeyNumbering.Key(a: word, b: number, c: UInt32(i))
            number = UInt64(viewNumbers.number(of: key) ?? viewNumbers.insert(key))
        }
        return Int(number)
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
