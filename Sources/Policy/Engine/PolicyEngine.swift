import FlowCore

/// Decides flows exactly as Calico would (calico-semantics §1.3, §3) and says why.
///
/// Built once per cluster; reloading means building a new engine from the new cluster (which
/// also drops every cached decision). Used from one thread at a time: it memoises selector
/// results, per-endpoint policy plans and whole decisions as it goes. It may be handed to the
/// thread that uses it (hence Sendable), never shared between two running at once.
///
/// Every stored `var` is `@exclusivity(unchecked)`: the runtime's check on each access of a
/// class's stored property was a quarter of a cold decision's instructions (a third of a random
/// pair's). The checks cannot fire: each access reads or writes one value, or is one call to a
/// mutating method of a value type holding no reference to the engine (`KeyNumbering`,
/// `AddressTable`, `SelectorMemo`, `MatchClasses`, `CounterpartPrograms`, arrays and
/// dictionaries), whose arguments are worked out before the access starts; so no access to a
/// property starts while another to the same one runs, and the engine runs on one thread at a
/// time (see above). A new property keeps the default (checked) unless the same holds for it.
public final class PolicyEngine: @unchecked Sendable {
    public let cluster: Cluster
    public let options: PolicyOptions

    let index: EndpointIndex
    /// Per entity, whether it is a workload endpoint (read per walk; the entities are large).
    let isWorkload: [Bool]
    let policies: [CompiledPolicy]
    /// Per policy, its rules by direction and its trace identity, kept apart from the policy so a
    /// walk reads one array, not a large struct.
    let ingressRules: [[CompiledRule]]
    let egressRules: [[CompiledRule]]
    let hitTemplates: [PolicyHit]
    /// `Profile` resources with rules, by name, evaluated after every tier passed.
    let profiles: [String: CompiledPolicy]
    let tierPlans: [TierPlan]
    /// Per policy, the number of its namespace in `policyNamespaceNumbers` when its kind is
    /// namespaced, -1 otherwise: a plan skips another namespace's policies by comparing numbers.
    let policyNamespaces: [Int32]
    let policyNamespaceNumbers: [String: Int32]
    /// Each tier's default action, by the tier's index in `tierPlans`.
    let tierDefaultActions: [PolicyAction]
    @exclusivity(unchecked) var memo: SelectorMemo
    /// Per entity, computed on first use: which policies apply per tier and direction.
    @exclusivity(unchecked) var plans: [EndpointPlan?]
    /// Plans by entity match class, shared by every endpoint of the class.
    @exclusivity(unchecked) var classPlans: [Int: EndpointPlan] = [:]
    let hasStagedPolicies: Bool
    /// Whether any rule looks at source ports or ICMP type/code (else they stay out of the cache key).
    let keysOnSourcePort: Bool
    let keysOnICMP: Bool
    /// Whether any rule has `domains` (else destination names stay out of every cache key).
    let keysOnDomains: Bool
    /// Destination name lists seen so far, numbered from 1 for the cache keys.
    @exclusivity(unchecked) private var domainIDs: [DomainNames: Int32] = [:]
    /// Whole decisions by (source address number, destination address number, packet fields,
    /// domains): the number indexes `decisions`.
    @exclusivity(unchecked) var decisionNumbers = KeyNumbering()
    @exclusivity(unchecked) var decisions: [FlowAnnotation] = []
    /// Every address a flow end had so far, numbered, with what the engine derived from it.
    @exclusivity(unchecked) var addresses = AddressTable()
    /// A new address pair is decided by class (see `MatchClasses`): when its ends are ones rules
    /// cannot tell apart from a pair decided before, that pair's verdict and traces are reused.
    @exclusivity(unchecked) var classes: MatchClasses
    /// Class decisions by (source class, destination class, packet fields, domains): the number
    /// indexes `classDecisionList`.
    @exclusivity(unchecked) var classDecisionNumbers = KeyNumbering()
    @exclusivity(unchecked) var classDecisionList: [ClassDecision] = []
    /// Flow-log identity numbers (`identityNumber`) of addresses in network sets by (address number, the other end's
    /// entity class or -1): the number indexes `setIdentityList`.
    @exclusivity(unchecked) var setIdentityNumbers = KeyNumbering()
    @exclusivity(unchecked) var setIdentityList: [UInt32] = []
    /// Class decisions' outcomes (verdict and trace numbers) by key: the number is the
    /// decision's `outcome`. Trace numbers start afresh in `forgetTraces`, and outcomes with them.
    @exclusivity(unchecked) var outcomeNumbers = KeyNumbering()
    /// The annotations handed out for new address pairs by (source identity number, destination
    /// identity number, service number, outcome): the number indexes `annotationList`, and pairs
    /// that come out alike share one (see `sharedAnnotation`).
    @exclusivity(unchecked) var annotationNumbers = KeyNumbering()
    @exclusivity(unchecked) var annotationList: [FlowAnnotation] = []
    /// The numbering of the annotations the class cache hands out (`AnnotationNumbers`):
    /// identities by entity (`identityNumber`), services by name (`serviceNumbers`), traces by
    /// their number in `traceTable`. Trace numbers start afresh in `forgetTraces`, and a new space
    /// with them, so a number never stands for two traces within one space.
    @exclusivity(unchecked) var numberSpace = AnnotationNumbers.newSpace()
    /// Service names numbered from 1 (0 is "") for `AnnotationNumbers.service`; a cluster has a
    /// bounded set of them, so the table is never emptied.
    @exclusivity(unchecked) var serviceNumbers: [String: UInt32] = [:]
    /// Distinct traces by their hits in words (`TraceWords`): most walks end in one of a handful
    /// of traces, so a walk records its hits as numbers and builds a trace (strings and all) only
    /// the first time; cached annotations share the one box. Walks, class decisions and the
    /// direction cache hold traces by their number in `traceTable` (plain values, no retains).
    @exclusivity(unchecked) var traceNumbers: [[UInt64]: Int32] = [:]
    @exclusivity(unchecked) var traceTable: [PolicyTrace] = []
    /// Each trace's action beside `traceTable`, so a verdict reads no trace box.
    @exclusivity(unchecked) var traceActions: [Verdict] = []
    /// The hits of the walk in progress (a walk at a time; kept to spare an allocation per walk).
    @exclusivity(unchecked) var hitWords: [UInt64] = []
    /// Profile names by number, and per entity its profiles by number (for `TraceWords`).
    let profileNames: [String]
    let entityProfiles: [[(name: Int, allows: Bool)]]
    /// What walks ask about the other end, per endpoint class and direction (`CounterpartTests`).
    @exclusivity(unchecked) var counterparts = CounterpartPrograms()
    /// Per entity its named ports as `name number << 32 | protocol << 16 | port` words:
    /// `endpointPortWords[endpointPortStart[e] ..< endpointPortStart[e + 1]]`.
    let endpointPortWords: [UInt64]
    let endpointPortStart: [Int32]
    /// Views of other ends by (view word, number of what came before, word index): see
    /// `counterpartView`.
    @exclusivity(unchecked) var viewNumbers = KeyNumbering()
    /// The view being numbered (kept to spare an allocation per view).
    @exclusivity(unchecked) var viewWords: [UInt64] = []
    /// Walks of one direction by (the other end's view, packet word, domains): the number
    /// indexes `directionEntries` (see `directionKey`).
    @exclusivity(unchecked) var directionWalkNumbers = KeyNumbering()
    @exclusivity(unchecked) var directionEntries: [DirectionEntry] = []
    /// Key the direction cache by a one-word view itself (else every view is numbered first);
    /// off only in tests, which check the numbered keys on a cluster whose views all fit a word.
    @exclusivity(unchecked) var keysViewsByWord = true
    /// Walks the direction cache could not spare, and walks it answered.
    @exclusivity(unchecked) public internal(set) var directionWalks = 0
    @exclusivity(unchecked) public internal(set) var directionHits = 0

    public init(cluster: Cluster, options: PolicyOptions = .init()) {
        self.cluster = cluster
        self.options = options
        let index = EndpointIndex(cluster: cluster)
        self.index = index
        self.isWorkload = index.entities.map { $0.kind == .workload }
        var table = SelectorTable()
        let compiled = cluster.policies.map { CompiledPolicy.compile($0, table: &table, cluster: cluster) }
        self.policies = compiled
        self.ingressRules = compiled.map(\.ingress)
        self.egressRules = compiled.map(\.egress)
        self.hitTemplates = compiled.map { $0.policy.hit(index: 0, action: .allow, ruleIndex: 0) }
        var profileNumbers: [String: Int] = [:]
        var profileNames: [String] = []
        self.entityProfiles = index.entities.map { entity in
            entity.profiles.map { profile in
                if let known = profileNumbers[profile.name] { return (known, profile.allows) }
                profileNumbers[profile.name] = profileNames.count
                profileNames.append(profile.name)
                return (profileNames.count - 1, profile.allows)
            }
        }
        self.profileNames = profileNames
        var counterparts = CounterpartPrograms()
        var portWords: [UInt64] = []
        var portStart: [Int32] = [0]
        for entity in index.entities {
            for port in entity.namedPorts {
                portWords.append(UInt64(counterparts.portName(port.name)) << 32 | UInt64(port.ipProtocol.rawValue) << 16 | UInt64(port.port))
            }
            portStart.append(Int32(portWords.count))
        }
        self.counterparts = counterparts
        self.endpointPortWords = portWords
        self.endpointPortStart = portStart
        let profiles = cluster.profiles.keys.sorted().map {
            CompiledPolicy.compile(cluster.profiles[$0]!.asPolicy, table: &table, cluster: cluster)
        }
        self.profiles = Dictionary(uniqueKeysWithValues: profiles.map { ($0.policy.name, $0) })
        self.memo = SelectorMemo(selectors: table.selectors, labels: index.labels, entityMaps: index.selectorLabelMaps)
        self.plans = Array(repeating: nil, count: index.entities.count)
        self.hasStagedPolicies = cluster.hasStagedPolicies
        self.tierPlans = Self.planTiers(cluster: cluster, policies: compiled, ordering: options.ordering)
        var namespaceNumbers: [String: Int32] = [:]
        self.policyNamespaces = compiled.map { compiled in
            guard compiled.policy.kind.isNamespaced else { return -1 }
            if let known = namespaceNumbers[compiled.policy.namespace] { return known }
            let number = Int32(namespaceNumbers.count)
            namespaceNumbers[compiled.policy.namespace] = number
            return number
        }
        self.policyNamespaceNumbers = namespaceNumbers
        self.tierDefaultActions = tierPlans.map(\.tier.defaultAction)
        let rules = (compiled + profiles).flatMap { $0.ingress + $0.egress }
        self.keysOnSourcePort = rules.contains { !$0.source.ports.isEmpty || !$0.source.notPorts.isEmpty }
        self.keysOnICMP = rules.contains { $0.icmp != nil || $0.notICMP != nil }
        self.keysOnDomains = rules.contains { !$0.destination.domains.isEmpty }
        self.classes = MatchClasses(policies: compiled + profiles, entityCount: index.entities.count)
        // A fresh engine meets mostly new flows: growing the tables from empty rehashed every
        // entry a dozen times on the way to a busy node's working set.
        if options.cachesDecisions {
            let initial = min(options.cacheCapacity, 1 << 15)
            decisionNumbers = KeyNumbering(minimumCapacity: initial)
            decisions.reserveCapacity(initial)
            classDecisionNumbers = KeyNumbering(minimumCapacity: initial / 2)
            annotationNumbers = KeyNumbering(minimumCapacity: initial / 2)
            addresses = AddressTable(minimumCapacity: initial / 4)
            viewNumbers = KeyNumbering(minimumCapacity: initial / 8)
            directionWalkNumbers = KeyNumbering(minimumCapacity: initial / 8)
        }
        if options.preparesEndpoints { prepareEndpoints() }
    }

    /// See `PolicyOptions.preparesEndpoints`.
    private func prepareEndpoints() {
        for entity in index.entities.indices where index.entities[entity].kind != .networkSet {
            _ = plan(for: entity)
        }
        guard options.cachesDecisions else { return }
        for address in index.endpointAddresses where addresses.count + 2 <= options.cacheCapacity {
            _ = addressNumber(address)
        }
    }

    /// Number of decisions currently cached.
    public var cachedDecisions: Int { decisionNumbers.count }
    /// Number of distinct class decisions (walks kept) currently cached.
    var classDecisionCount: Int { classDecisionNumbers.count }
    /// Walks through tiers the class cache could not spare (each decides a source class,
    /// destination class and packet shape for good), and decisions it answered from earlier walks.
    @exclusivity(unchecked) public internal(set) var classWalks = 0
    @exclusivity(unchecked) public internal(set) var classHits = 0

    // MARK: - Annotating

    /// `destinationDomains`: the names the destination address was resolved from, for rules
    /// with `destination.domains` (from the capture's DNS cache).
    public func annotate(_ flow: FlowRecord, destinationDomains: DomainNames = .none) -> FlowAnnotation {
        guard options.cachesDecisions else { return decide(flow, destinationDomains: destinationDomains, log: nil) }
        let domainsID = keysOnDomains ? domainID(destinationDomains) : 0
        // See `decisionKey`: between IPv4 addresses a cached flow needs one probe.
        let bothIPv4 = flow.sourceAddress.version == .v4 && flow.destinationAddress.version == .v4
        let addressKey = decisionKey(flow, source: -1, destination: -1, bothIPv4: true, domainsID: domainsID)
        if bothIPv4, let known = decisionNumbers.number(of: addressKey) { return decisions[known] }
        if addresses.count + 2 > options.cacheCapacity { forgetAddresses() }
        let source = addressNumber(flow.sourceAddress)
        let destination = addressNumber(flow.destinationAddress)
        let key = bothIPv4 ? addressKey
            : decisionKey(flow, source: source, destination: destination, bothIPv4: false, domainsID: domainsID)
        if !bothIPv4, let known = decisionNumbers.number(of: key) { return decisions[known] }
        let decided = decideByClass(flow, source: source, destination: destination, domains: destinationDomains, domainsID: domainsID)
        if decisionNumbers.count >= options.cacheCapacity { forgetDecisions() }
        decisionNumbers.insert(key)
        decisions.append(decided)
        return decided
    }

    /// The packet fields a cache key holds, in one word: source port, destination port (when the
    /// protocol has ports), ICMP type and code (when some rule tests them), protocol, IP version.
    @inline(__always)
    func packetWord(_ flow: FlowRecord, sourcePort: UInt16, version: UInt8) -> UInt64 {
        let destinationPort = flow.ipProtocol.hasPorts ? flow.destinationPort : 0
        let icmp = keysOnICMP && flow.ipProtocol.isICMP ? UInt16(flow.icmpType) << 8 | UInt16(flow.icmpCode) : 0
        return UInt64(sourcePort) << 48 | UInt64(destinationPort) << 32 | UInt64(icmp) << 16
            | UInt64(flow.ipProtocol.rawValue) << 8 | UInt64(version)
    }

    func forgetDecisions() {
        decisionNumbers.removeAll()
        decisions.removeAll(keepingCapacity: true)
    }

    func forgetClassDecisions() {
        classDecisionNumbers.removeAll()
        classDecisionList.removeAll(keepingCapacity: true)
        forgetDirectionWalks()
    }

    /// Address numbers are only meaningful to the decisions keyed by them: both start afresh.
    func forgetAddresses() {
        addresses.removeAll()
        forgetDecisions()
        forgetSetIdentities()
    }

    func forgetSetIdentities() {
        setIdentityNumbers.removeAll()
        setIdentityList.removeAll(keepingCapacity: true)
    }

    private func domainID(_ names: DomainNames) -> Int32 {
        if names.isEmpty { return 0 }
        if let known = domainIDs[names] { return known }
        if domainIDs.count >= options.cacheCapacity {
            // Numbers are only meaningful inside the caches keyed by them: start all afresh.
            domainIDs.removeAll(keepingCapacity: true)
            forgetDecisions()
            forgetClassDecisions()
        }
        let id = Int32(domainIDs.count + 1)
        domainIDs[names] = id
        return id
    }

    /// Annotates a batch: appends one `AnnotatedFlow` per record to `out` and empties `flows`
    /// (keeping its capacity for the next batch).
    public func annotate(_ flows: inout [FlowRecord], into out: inout [AnnotatedFlow], node: String) {
        out.reserveCapacity(out.count + flows.count)
        for i in flows.indices {
            // The lookahead's three stages (`PolicyEngine+Lookahead`).
            if i + Self.prefetchDistance < flows.count { prefetch(flows[i + Self.prefetchDistance]) }
            if i + Self.foundPrefetchDistance < flows.count { prefetchFound(flows[i + Self.foundPrefetchDistance]) }
            if i + Self.decidedPrefetchDistance < flows.count { prefetchDecided(flows[i + Self.decidedPrefetchDistance]) }
            out.append(AnnotatedFlow(flow: flows[i], annotation: annotate(flows[i]), node: node))
        }
        flows.removeAll(keepingCapacity: true)
    }

    /// The decision with a readable walk through tiers, policies and rules (never cached).
    public func explain(_ flow: FlowRecord, destinationDomains: DomainNames = .none) -> PolicyExplanation {
        let log = PolicyWalkLog()
        let annotation = decide(flow, destinationDomains: destinationDomains, log: log)
        return PolicyExplanation(annotation: annotation, walk: log.lines)
    }

    // MARK: - Deciding

    func side(_ address: IPAddress, port: UInt16) -> FlowSide {
        FlowSide(address: address, port: port, endpoint: index.endpoint(at: address) ?? -1,
                 sets: index.networkSets(containing: address))
    }

    func decide(_ flow: FlowRecord, destinationDomains: DomainNames = .none, log: PolicyWalkLog?) -> FlowAnnotation {
        let facts = FlowFacts(
            ipProtocol: flow.ipProtocol, ipVersion: flow.ipVersion, icmpType: flow.icmpType, icmpCode: flow.icmpCode,
            source: side(flow.sourceAddress, port: flow.sourcePort),
            destination: side(flow.destinationAddress, port: flow.destinationPort),
            destinationDomains: destinationDomains)
        let service = index.service(for: facts.destination.address,
                                    endpoint: facts.destination.isEndpoint ? facts.destination.endpoint : nil)
        return annotation(facts, service: service, decision: evaluate(facts, log: log))
    }

    /// The identities and service around a decision: these depend on the exact ends, not their class.
    func annotation(_ facts: FlowFacts, service: String, decision: ClassDecision) -> FlowAnnotation {
        FlowAnnotation(
            source: identity(of: facts.source, other: facts.destination),
            destination: identity(of: facts.destination, other: facts.source),
            destinationService: service,
            verdict: decision.verdict, egress: trace(decision.egress), ingress: trace(decision.ingress),
            pendingEgress: trace(decision.pendingEgress), pendingIngress: trace(decision.pendingIngress))
    }

    /// The trace of a number from `traceTable`; nil for -1 (no walk).
    @inline(__always)
    func trace(_ number: Int32) -> PolicyTrace? { number < 0 ? nil : traceTable[Int(number)] }

    /// Trace numbers are only meaningful to the class decisions and direction walks holding them:
    /// all start afresh.
    func forgetTraces() {
        numberSpace = AnnotationNumbers.newSpace()
        traceNumbers.removeAll(keepingCapacity: true)
        traceTable.removeAll(keepingCapacity: true)
        traceActions.removeAll(keepingCapacity: true)
        outcomeNumbers.removeAll()
        forgetClassDecisions()
        forgetAnnotations()
    }

    /// The shared annotations are found by numbers of one space: they start afresh with it.
    func forgetAnnotations() {
        annotationNumbers.removeAll()
        annotationList.removeAll(keepingCapacity: true)
    }

    /// Egress at the source, ingress at the destination (unless egress denied), pending traces
    /// for workloads where staged policies exist, and the verdict they give.
    /// `ends`: the flow is decided by class, and each direction's walk may come from the walks
    /// cached per direction (`directionWalk`); nil walks every direction (and can log).
    func evaluate(_ facts: FlowFacts, log: PolicyWalkLog?, ends: WalkEnds? = nil) -> ClassDecision {
        // A walk adds at most one trace per direction and kind: make room first, so the numbers
        // this evaluation hands out stay valid.
        if traceTable.count + 4 > options.cacheCapacity { forgetTraces() }
        var egressView = -1, ingressView = -1
        var egress: Int32 = -1, ingress: Int32 = -1, pendingEgress: Int32 = -1, pendingIngress: Int32 = -1
        let pendingWanted = hasStagedPolicies && options.computesPendingTraces
        if facts.source.isEndpoint {
            log?.add("egress at the source \(describe(facts.source.endpoint)):")
            egress = walkEnd(endpoint: facts.source.endpoint, direction: .egress, facts: facts, pending: false,
                             log: log, ends: ends, view: &egressView)
            if pendingWanted, isWorkload[facts.source.endpoint] {
                log?.add("pending egress (staged policies enforced):")
                pendingEgress = walkEnd(endpoint: facts.source.endpoint, direction: .egress, facts: facts, pending: true,
                             log: log, ends: ends, view: &egressView)
            }
        } else {
            log?.add("egress: the source \(facts.source.address) is not a Calico endpoint; nothing evaluated")
        }
        if egress >= 0, traceActions[Int(egress)] == .deny {
            log?.add("ingress: not evaluated, egress denied the packet")
            // The pending verdict still needs the ingress side when staged policies would let
            // the packet out.
            if pendingEgress >= 0, traceActions[Int(pendingEgress)] == .allow, facts.destination.isEndpoint {
                log?.add("pending ingress at the destination \(describe(facts.destination.endpoint)) (staged policies enforced, as their egress allows):")
                pendingIngress = walkEnd(endpoint: facts.destination.endpoint, direction: .ingress, facts: facts, pending: true,
                             log: log, ends: ends, view: &ingressView)
            }
        } else if facts.destination.isEndpoint {
            log?.add("ingress at the destination \(describe(facts.destination.endpoint)):")
            ingress = walkEnd(endpoint: facts.destination.endpoint, direction: .ingress, facts: facts, pending: false,
                             log: log, ends: ends, view: &ingressView)
            if pendingWanted, isWorkload[facts.destination.endpoint] {
                log?.add("pending ingress (staged policies enforced):")
                pendingIngress = walkEnd(endpoint: facts.destination.endpoint, direction: .ingress, facts: facts, pending: true,
                             log: log, ends: ends, view: &ingressView)
            }
        } else {
            log?.add("ingress: the destination \(facts.destination.address) is not a Calico endpoint; nothing evaluated")
        }
        let verdict: Verdict
        if egress >= 0, traceActions[Int(egress)] == .deny { verdict = .deny }
        else if ingress >= 0 { verdict = traceActions[Int(ingress)] }
        else if egress >= 0 { verdict = traceActions[Int(egress)] }
        else { verdict = .unknown }
        log?.add("action: \(verdict)")
        return ClassDecision(verdict: verdict, egress: egress, ingress: ingress,
                             pendingEgress: pendingEgress, pendingIngress: pendingIngress)
    }

    private func walkEnd(endpoint: Int, direction: PolicyDirection, facts: FlowFacts, pending: Bool, log: PolicyWalkLog?,
                         ends: WalkEnds?, view: inout Int) -> Int32 {
        guard let ends else { return walk(endpoint: endpoint, direction: direction, facts: facts, pending: pending, log: log) }
        return directionWalk(endpoint: endpoint, direction: direction, facts: facts, pending: pending, ends: ends, entry: &view)
    }

    /// §1.4: the endpoint, else the network set chosen with the other side's namespace, else net.
    func identity(of side: FlowSide, other: FlowSide) -> EndpointIdentity {
        identity(number: identityNumber(of: side, other: other))
    }

    /// `identity(of:other:)` as its number in the annotation numbering (`identityNumber`).
    func identityNumber(of side: FlowSide, other: FlowSide) -> UInt32 {
        if side.isEndpoint { return Self.identityNumber(entity: side.endpoint) }
        let otherNamespace = other.isEndpoint ? index.entities[other.endpoint].namespace : ""
        if !side.sets.isEmpty,
           let set = index.identifyingNetworkSet(for: side.address, among: side.sets, otherNamespace: otherNamespace, cluster: cluster) {
            return Self.identityNumber(entity: set)
        }
        return Self.identityNumber(outside: side.address)
    }

    /// An identity's number in the annotation numbering: the two outside-address identities
    /// (`pvt` 0, `pub` 1), then each entity's by its index. Fixed for the engine's life.
    static func identityNumber(entity: Int) -> UInt32 { UInt32(entity + 2) }
    static func identityNumber(outside address: IPAddress) -> UInt32 { address.isRFC1918 ? 0 : 1 }

    /// The identity an annotation number names (the inverse of `identityNumber`).
    func identity(number: UInt32) -> EndpointIdentity {
        switch number {
        case 0: return .privateNetwork
        case 1: return .publicNetwork
        default: return index.entities[Int(number) - 2].identity
        }
    }

    /// A service name's number in the annotation numbering (0 for "").
    func serviceNumber(_ name: String) -> UInt32 {
        if name.isEmpty { return 0 }
        if let known = serviceNumbers[name] { return known }
        let number = UInt32(serviceNumbers.count + 1)
        serviceNumbers[name] = number
        return number
    }

    func describe(_ entity: Int) -> String {
        let e = index.entities[entity]
        switch e.kind {
        case .workload: return "pod \(e.namespace)/\(e.identity.name)"
        case .host: return "host endpoint \(e.identity.name)"
        case .networkSet: return "network set \(e.identity.name)"
        }
    }
}
