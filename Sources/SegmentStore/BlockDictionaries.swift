import FlowCore

/// The dictionaries of the block last decoded (strings, label sets, identities, traces,
/// annotations, domain sets), built entry by entry when a row or a filter asks for one.
///
/// A block of an annotated store holds thousands of identities, traces and annotations; a
/// selective query needs a few of them, and most filters (counters, addresses, ports) none.
/// Building every entry before a row is looked at cost more than the rest of the scan, so the
/// decoder only checks the dictionaries (every reference in range, every enum byte valid) and
/// notes where each entry starts; an entry is built from those bytes the first time it is
/// asked for and kept for the rest of the block. Checking first means building cannot fail.
///
/// One per `BlockDecoder`, reused from block to block; the rows and sums of a block refer to it
/// until the next block is decoded. Not shared between threads (a parallel scan has one
/// decoder per thread).
final class BlockDictionaries {
    /// The payload's bytes up to the end of its dictionaries (positions below are into these);
    /// from version 3 only its domain sets, the block's last table (their positions are from
    /// the first set's start).
    private var bytes: [UInt8] = []
    /// Version 3: the segment whose dictionary records hold the strings, label sets,
    /// identities and traces (positions of those are into its bytes); nil before version 3.
    private var segment: SegmentDictionary?
    /// Where the strings, label sets, identities and traces are: the segment's records'
    /// bytes (version 3), else the block's.
    private var dictionaryBytes: [UInt8] { segment?.bytes ?? bytes }
    /// Version 3: the segment dictionary whose tables the block uses.
    var sharedSegment: SegmentDictionary? { segment }

    /// Where each entry starts, filled by the decoder while it checks the payload.
    struct Entries {
        var stringStarts: [Int32] = []
        var stringEnds: [Int32] = []
        var labelSetStarts: [Int32] = []
        var identityStarts: [Int32] = []
        var traceStarts: [Int32] = []
        /// Per trace, its reporter byte (what `reportsAtDestination` needs, without the trace).
        var traceReporters: [UInt8] = []
        /// Field by field: 0–1 per annotation, its source and destination identity; 2–7 per
        /// outcome (`outcomeOfAnnotation`), the service string, verdict, then egress, ingress,
        /// pending egress, pending ingress trace + 1 (0 = none). Annotations share outcomes
        /// (version 3 on, a block holds far fewer outcomes than annotations), so an outcome's
        /// fields are read through its number rather than copied out per annotation.
        var annotationFields = [[UInt64]](repeating: [], count: 8)
        /// Per annotation, its outcome: the row of fields 2–7 (before version 3, its own).
        var outcomeOfAnnotation: [UInt64] = []
        var domainSetStarts: [Int32] = []
        /// Per prepared record: what it fixes, and its first conversation (whose record is the
        /// placeholder `flow`).
        var templateKeys: [TemplateKey] = []
        var templateFirstConversation: [Int32] = []

        /// Whether the string, label set, identity and trace tables are a segment's (version 3),
        /// shared rather than owned.
        var sharedWithSegment = false

        /// Version 3: the string, label set, identity and trace tables are the segment's.
        mutating func share(_ segment: SegmentDictionary) {
            stringStarts = segment.stringStarts
            stringEnds = segment.stringEnds
            labelSetStarts = segment.labelSetStarts
            identityStarts = segment.identityStarts
            traceStarts = segment.traceStarts
            traceReporters = segment.traceReporters
            sharedWithSegment = true
        }

        mutating func removeAll() {
            if sharedWithSegment {
                // Let go of the segment's tables (emptying them in place would copy them).
                stringStarts = []; stringEnds = []; labelSetStarts = []
                identityStarts = []; traceStarts = []; traceReporters = []
                sharedWithSegment = false
            } else {
                stringStarts.removeAll(keepingCapacity: true)
                stringEnds.removeAll(keepingCapacity: true)
                labelSetStarts.removeAll(keepingCapacity: true)
                identityStarts.removeAll(keepingCapacity: true)
                traceStarts.removeAll(keepingCapacity: true)
                traceReporters.removeAll(keepingCapacity: true)
            }
            for k in annotationFields.indices { annotationFields[k].removeAll(keepingCapacity: true) }
            outcomeOfAnnotation.removeAll(keepingCapacity: true)
            domainSetStarts.removeAll(keepingCapacity: true)
            // The prepared records' tables are left as they are: the decoder sizes them and
            // writes every slot it keeps (a refill of every slot per block cost more).
        }
    }
    private(set) var entries = Entries()

    /// False when the block was decoded without annotations: prepared records then carry
    /// none, and an empty node.
    var annotated = true

    /// What a prepared record fixes besides the flow: annotation + 1, node string, domain set + 1.
    struct TemplateKey: Hashable {
        var annotation: Int
        var node: Int
        var domains: Int
    }

    // Built entries, nil until asked for.
    private var strings: [String?] = []
    private var labelSets: [[String: String]?] = []
    private var identities: [EndpointIdentity?] = []
    private var traces: [PolicyTrace?] = []
    private var annotations: [FlowAnnotation?] = []
    /// The annotations and domain sets built for this block, to forget at the next: emptying
    /// the whole tables costs a pass over every slot (a generic destroy per optional), every
    /// block, while most scans build none of them.
    private var builtAnnotations: [Int32] = []
    private var builtDomainSets: [Int32] = []
    private var domainSets: [DomainNames?] = []

    init() {}

    /// Forgets the previous block and hands its entry tables (emptied, capacity kept) to the
    /// decoder, which fills them in a local (no exclusivity check per append) and gives them
    /// back with `seal`.
    func reset() -> Entries {
        bytes.removeAll(keepingCapacity: true)
        var taken = Entries()
        swap(&taken, &entries)
        taken.removeAll()
        // Strings, label sets, identities and traces built are kept while blocks of one
        // version 3 segment follow each other (`seal` decides).
        for i in builtAnnotations { annotations[Int(i)] = nil }
        for i in builtDomainSets { domainSets[Int(i)] = nil }
        builtAnnotations.removeAll(keepingCapacity: true)
        builtDomainSets.removeAll(keepingCapacity: true)
        annotated = true
        // Shared with the decoder's staging, which refills them next.
        annotationOf = []
        nodeOf = []
        domainsOf = []
        return taken
    }

    /// Keeps the checked payload bytes the entries were found in, and makes room for every
    /// entry to be built.
    /// `segment`: the version 3 segment whose records hold the strings, label sets,
    /// identities and traces (entries built for its previous block are kept).
    func seal(_ filled: Entries, checked: UnsafeRawBufferPointer, segment: SegmentDictionary? = nil) {
        entries = filled
        bytes.append(contentsOf: checked)
        if segment == nil || segment !== self.segment {
            strings.removeAll(keepingCapacity: true)
            labelSets.removeAll(keepingCapacity: true)
            identities.removeAll(keepingCapacity: true)
            traces.removeAll(keepingCapacity: true)
            strings.append(contentsOf: repeatElement(nil, count: entries.stringStarts.count))
            labelSets.append(contentsOf: repeatElement(nil, count: entries.labelSetStarts.count))
            identities.append(contentsOf: repeatElement(nil, count: entries.identityStarts.count))
            traces.append(contentsOf: repeatElement(nil, count: entries.traceStarts.count))
        }
        self.segment = segment
        // Every slot is nil (see `reset`); the tables only grow, to the most a block has had.
        let annotationCount = entries.annotationFields[0].count, domainSetCount = entries.domainSetStarts.count
        if annotations.count < annotationCount { annotations.append(contentsOf: repeatElement(nil, count: annotationCount - annotations.count)) }
        if domainSets.count < domainSetCount { domainSets.append(contentsOf: repeatElement(nil, count: domainSetCount - domainSets.count)) }
    }

    var templateCount: Int { entries.templateKeys.count }

    // Numbering prepared records on demand (`deferNumbering`): each conversation's
    // (annotation, node, domains), and the numbering's tables.
    private var annotationOf: [UInt64] = []
    private var nodeOf: [UInt64] = []
    private var domainsOf: [UInt64] = []
    private var hasDomains = false
    private var firstOfAnnotation: [Int32] = []
    private var templateOfPair: [TemplateKey: Int32] = [:]

    /// Numbers a conversation's prepared record: the one its (annotation, node, domains) already
    /// has, else the next number. Most annotations come with one node and domain set, so the
    /// record is found by annotation number first; the hash table only holds the rest.
    @inline(__always)
    static func number(_ pair: TemplateKey, conversation i: Int, firstOfAnnotation: inout [Int32],
                       templateOfPair: inout [TemplateKey: Int32], entries e: inout Entries) -> Int32 {
        let first = Int(firstOfAnnotation[pair.annotation])
        if first >= 0, e.templateKeys[first] == pair { return Int32(first) }
        if first >= 0, let shared = templateOfPair[pair] { return shared }
        let number = Int32(e.templateKeys.count)
        if first < 0 { firstOfAnnotation[pair.annotation] = number } else { templateOfPair[pair] = number }
        e.templateKeys.append(pair)
        e.templateFirstConversation.append(Int32(i))
        return number
    }

    /// After `seal`: the block's prepared records are numbered when a row of theirs is first
    /// asked for (`number(conversation:)`), from these per-conversation columns (annotation + 1,
    /// node string, domain set + 1), instead of all of them while decoding: a scan whose filter
    /// reads no annotation numbers only the conversations it admits.
    func deferNumbering(annotationOf: [UInt64], nodeOf: [UInt64], domainsOf: [UInt64], hasDomains: Bool, annotationCount: Int) {
        self.annotationOf = annotationOf
        self.nodeOf = nodeOf
        self.domainsOf = domainsOf
        self.hasDomains = hasDomains
        firstOfAnnotation.removeAll(keepingCapacity: true)
        firstOfAnnotation.append(contentsOf: repeatElement(-1, count: annotationCount + 1))
        templateOfPair.removeAll(keepingCapacity: true)
    }

    /// Conversation `i`'s prepared record number, numbering it now if it has none yet (see
    /// `deferNumbering`).
    func number(conversation i: Int) -> Int {
        let pair = TemplateKey(annotation: Int(annotationOf[i]), node: Int(nodeOf[i]), domains: hasDomains ? Int(domainsOf[i]) : 0)
        return Int(Self.number(pair, conversation: i, firstOfAnnotation: &firstOfAnnotation, templateOfPair: &templateOfPair,
                               entries: &entries))
    }

    /// Prepared record `t` with `flow` as its flow: its annotation, node and domain names as
    /// stored. Its parts are built once per block; the record itself is cheap to assemble from
    /// them (the callers keep it when they need it again).
    func template(_ t: Int, flow: FlowRecord) -> AnnotatedFlow {
        let key = entries.templateKeys[t]
        guard annotated else { return AnnotatedFlow(flow: flow) }
        return AnnotatedFlow(flow: flow, annotation: key.annotation == 0 ? nil : annotation(key.annotation - 1),
                             node: string(key.node), destinationDomains: key.domains == 0 ? .none : domainSet(key.domains - 1))
    }

    /// Whether prepared record `t` has an annotation.
    func isAnnotated(template t: Int) -> Bool { annotated && entries.templateKeys[t].annotation != 0 }

    /// The identity numbers of prepared record `t`'s annotation (nil without one).
    func identityNumbers(template t: Int) -> (source: Int, destination: Int)? {
        guard annotated else { return nil }
        let a = entries.templateKeys[t].annotation - 1
        guard a >= 0 else { return nil }
        return (Int(entries.annotationFields[0][a]), Int(entries.annotationFields[1][a]))
    }

    var identityCount: Int { entries.identityStarts.count }
    var traceCount: Int { entries.traceStarts.count }
    var annotationCount: Int { annotated ? entries.annotationFields[0].count : 0 }

    // A prepared record's parts by number, for a visitor reading rows where they lie
    // (`StoreReader.scanRows`).
    func annotationNumber(template t: Int) -> Int? {
        let a = entries.templateKeys[t].annotation
        return annotated && a != 0 ? a - 1 : nil
    }

    func nodeNumber(template t: Int) -> Int? { annotated ? entries.templateKeys[t].node : nil }

    func node(template t: Int) -> String { annotated ? string(entries.templateKeys[t].node) : "" }

    func domainsNumber(template t: Int) -> Int? {
        let d = entries.templateKeys[t].domains
        return annotated && d != 0 ? d - 1 : nil
    }

    func domains(template t: Int) -> DomainNames { domainsNumber(template: t).map(domainSet) ?? .none }

    var stringCount: Int { entries.stringStarts.count }
    var domainSetCount: Int { entries.domainSetStarts.count }

    func annotationParts(_ a: Int) -> AnnotationParts {
        // One read of the class's tables, not eight (each is an access check and a retain).
        Self.parts(a, fields: entries.annotationFields, outcomeOf: entries.outcomeOfAnnotation)
    }

    /// Annotation `a`'s parts from the annotation fields and outcome numbers.
    @inline(__always)
    private static func parts(_ a: Int, fields: [[UInt64]], outcomeOf: [UInt64]) -> AnnotationParts {
        let o = Int(truncatingIfNeeded: outcomeOf[a])
        func trace(_ field: Int) -> Int? {
            let number = Int(fields[field][o])
            return number == 0 ? nil : number - 1
        }
        return AnnotationParts(source: Int(fields[0][a]), destination: Int(fields[1][a]), destinationService: Int(fields[2][o]),
                               verdict: Verdict(rawValue: UInt8(truncatingIfNeeded: fields[3][o])) ?? .unknown,
                               egress: trace(4), ingress: trace(5), pendingEgress: trace(6), pendingIngress: trace(7))
    }

    /// Every annotation in stored order, by its parts' numbers (one read of the tables for the
    /// whole block: a visitor reading every entry pays no access check or retain per entry).
    func forEachAnnotation(_ body: (AnnotationParts) -> Void) {
        withOutcomeTable { outcomes in
            forEachAnnotationByOutcome { source, destination, o in
                let p = outcomes[o]
                body(AnnotationParts(source: source, destination: destination, destinationService: p.destinationService,
                                     verdict: p.verdict, egress: p.egress, ingress: p.ingress,
                                     pendingEgress: p.pendingEgress, pendingIngress: p.pendingIngress))
            }
        }
    }

    /// The block's outcomes as a table, lent to `body` (kept from block to block).
    private func withOutcomeTable(_ body: (UnsafeBufferPointer<OutcomeParts>) -> Void) {
        var table = outcomeTable
        outcomeTable = []
        table.removeAll(keepingCapacity: true)
        forEachOutcome { table.append($0) }
        table.withUnsafeBufferPointer(body)
        outcomeTable = table
    }
    private var outcomeTable: [OutcomeParts] = []

    /// Outcomes in the block (what its annotations share besides their identities).
    var outcomeCount: Int { annotated ? entries.annotationFields[2].count : 0 }

    /// Every outcome in stored order, by its parts' numbers.
    func forEachOutcome(_ body: (OutcomeParts) -> Void) {
        guard annotated else { return }
        let fields = entries.annotationFields
        fields[2].withUnsafeBufferPointer { service in
            fields[3].withUnsafeBufferPointer { verdict in
                fields[4].withUnsafeBufferPointer { egress in
                    fields[5].withUnsafeBufferPointer { ingress in
                        fields[6].withUnsafeBufferPointer { pendingEgress in
                            fields[7].withUnsafeBufferPointer { pendingIngress in
                                @inline(__always) func trace(_ number: UInt64) -> Int? { number == 0 ? nil : Int(truncatingIfNeeded: number) - 1 }
                                for o in service.indices {
                                    body(OutcomeParts(destinationService: Int(truncatingIfNeeded: service[o]),
                                                      verdict: Verdict(rawValue: UInt8(truncatingIfNeeded: verdict[o])) ?? .unknown,
                                                      egress: trace(egress[o]), ingress: trace(ingress[o]),
                                                      pendingEgress: trace(pendingEgress[o]), pendingIngress: trace(pendingIngress[o])))
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Every annotation in stored order: its source and destination identity numbers and its
    /// outcome's number.
    func forEachAnnotationByOutcome(_ body: (_ source: Int, _ destination: Int, _ outcome: Int) -> Void) {
        guard annotated else { return }
        let fields = entries.annotationFields
        fields[0].withUnsafeBufferPointer { sources in
            fields[1].withUnsafeBufferPointer { destinations in
                entries.outcomeOfAnnotation.withUnsafeBufferPointer { outcomes in
                    for a in sources.indices {
                        body(Int(truncatingIfNeeded: sources[a]), Int(truncatingIfNeeded: destinations[a]),
                             Int(truncatingIfNeeded: outcomes[a]))
                    }
                }
            }
        }
    }

    /// Every prepared record in order: its annotation number, node string number and domain
    /// set number (nil: none; node nil when the block was decoded without annotations).
    func forEachTemplate(_ body: (_ annotation: Int?, _ node: Int?, _ domains: Int?) -> Void) {
        let keys = entries.templateKeys
        for key in keys {
            guard annotated else {
                body(nil, nil, nil)
                continue
            }
            body(key.annotation == 0 ? nil : key.annotation - 1, key.node, key.domains == 0 ? nil : key.domains - 1)
        }
    }

    /// Trace `i`'s reporter, action and hits by their strings' numbers, without building it.
    func traceParts(_ i: Int, hit: (PolicyHitParts) -> Void) -> (reporter: Reporter, action: Verdict, hits: Int) {
        let bytes = dictionaryBytes
        var p = Int(entries.traceStarts[i])
        let reporter = Reporter(rawValue: bytes[p]) ?? .source
        let action = Verdict(rawValue: bytes[p + 1]) ?? .unknown
        p += 2
        let count = Self.varint(bytes, &p)
        for _ in 0..<count {
            let index = Self.signed(bytes, &p)
            let tier = Self.varint(bytes, &p)
            let kind = PolicyKind(rawValue: bytes[p]) ?? .profile
            p += 1
            let namespace = Self.varint(bytes, &p), name = Self.varint(bytes, &p)
            let hitAction = PolicyAction(rawValue: bytes[p]) ?? .deny
            p += 1
            hit(PolicyHitParts(index: index, tier: tier, kind: kind, namespace: namespace, name: name, action: hitAction,
                               ruleIndex: Self.signed(bytes, &p)))
        }
        return (reporter, action, count)
    }

    var labelSetCount: Int { entries.labelSetStarts.count }

    /// String `i`'s UTF-8 bytes where they lie in the payload (checked when the block was
    /// decoded), without building a `String`.
    func withStringBytes<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let start = Int(entries.stringStarts[i]), end = Int(entries.stringEnds[i])
        return dictionaryBytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }

    /// Identity `i` by the numbers of its strings and label set, without building it.
    func identityParts(_ i: Int) -> IdentityParts {
        let bytes = dictionaryBytes
        var p = Int(entries.identityStarts[i])
        let kind = EndpointKind(rawValue: bytes[p]) ?? .network
        p += 1
        let namespace = Self.varint(bytes, &p), name = Self.varint(bytes, &p), aggregated = Self.varint(bytes, &p), labels = Self.varint(bytes, &p)
        return IdentityParts(kind: kind, namespace: namespace, name: name, aggregatedName: aggregated, labelSet: labels,
                             serviceAccount: Self.varint(bytes, &p))
    }

    /// Label set `i`'s pairs by string number, in stored order, without building it.
    func forEachLabel(inSet i: Int, _ body: (_ key: Int, _ value: Int) -> Void) {
        let bytes = dictionaryBytes
        var p = Int(entries.labelSetStarts[i])
        let pairs = Self.varint(bytes, &p)
        for _ in 0..<pairs {
            let key = Self.varint(bytes, &p)
            body(key, Self.varint(bytes, &p))
        }
    }

    /// `FlowAnnotation.reportsAtDestination` of prepared record `t`'s annotation, from the
    /// trace reporters alone (false without an annotation).
    func reportsAtDestination(template t: Int) -> Bool {
        guard annotated else { return false }
        let a = entries.templateKeys[t].annotation - 1
        guard a >= 0 else { return false }
        let o = Int(truncatingIfNeeded: entries.outcomeOfAnnotation[a])
        let ingress = Int(entries.annotationFields[5][o]), egress = Int(entries.annotationFields[4][o])
        let reporter = ingress != 0 ? entries.traceReporters[ingress - 1] : egress != 0 ? entries.traceReporters[egress - 1] : 0
        return reporter == Reporter.destination.rawValue
    }

    // MARK: - Building entries (from checked bytes: every reference was found in range)

    func string(_ i: Int) -> String {
        if let built = strings[i] { return built }
        let start = Int(entries.stringStarts[i]), end = Int(entries.stringEnds[i])
        let source = segment?.bytes ?? bytes
        let made = source.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self) }
        strings[i] = made
        return made
    }

    func labelSet(_ i: Int) -> [String: String] {
        if let built = labelSets[i] { return built }
        let b = segment?.bytes ?? bytes
        var p = Int(entries.labelSetStarts[i])
        let pairs = Self.varint(b, &p)
        var labels = [String: String](minimumCapacity: pairs)
        for _ in 0..<pairs {
            let key = Self.varint(b, &p)
            labels[string(key)] = string(Self.varint(b, &p))
        }
        labelSets[i] = labels
        return labels
    }

    func identity(_ i: Int) -> EndpointIdentity {
        if let built = identities[i] { return built }
        let b = segment?.bytes ?? bytes
        var p = Int(entries.identityStarts[i])
        let kind = EndpointKind(rawValue: b[p]) ?? .network
        p += 1
        let namespace = string(Self.varint(b, &p)), name = string(Self.varint(b, &p)), aggregated = string(Self.varint(b, &p))
        let labels = labelSet(Self.varint(b, &p))
        let made = EndpointIdentity(kind: kind, namespace: namespace, name: name, aggregatedName: aggregated,
                                    labels: labels, serviceAccount: string(Self.varint(b, &p)))
        identities[i] = made
        return made
    }

    func trace(_ i: Int) -> PolicyTrace {
        if let built = traces[i] { return built }
        let b = segment?.bytes ?? bytes
        var p = Int(entries.traceStarts[i])
        let reporter = Reporter(rawValue: b[p]) ?? .source
        let action = Verdict(rawValue: b[p + 1]) ?? .unknown
        p += 2
        let count = Self.varint(b, &p)
        var hits: [PolicyHit] = []
        hits.reserveCapacity(count)
        for _ in 0..<count {
            let index = Self.signed(b, &p)
            let tier = string(Self.varint(b, &p))
            let kind = PolicyKind(rawValue: b[p]) ?? .profile
            p += 1
            let namespace = string(Self.varint(b, &p)), name = string(Self.varint(b, &p))
            let hitAction = PolicyAction(rawValue: b[p]) ?? .deny
            p += 1
            hits.append(PolicyHit(index: index, tier: tier, kind: kind, namespace: namespace, name: name, action: hitAction,
                                  ruleIndex: Self.signed(b, &p)))
        }
        let made = PolicyTrace(reporter: reporter, action: action, hits: hits)
        traces[i] = made
        return made
    }

    func annotation(_ i: Int) -> FlowAnnotation {
        if let built = annotations[i] { return built }
        let p = annotationParts(i)
        let made = FlowAnnotation(source: identity(p.source), destination: identity(p.destination),
                                  destinationService: string(p.destinationService), verdict: p.verdict,
                                  egress: p.egress.map(trace), ingress: p.ingress.map(trace),
                                  pendingEgress: p.pendingEgress.map(trace), pendingIngress: p.pendingIngress.map(trace))
        annotations[i] = made
        builtAnnotations.append(Int32(i))
        return made
    }

    func domainSet(_ i: Int) -> DomainNames {
        if let built = domainSets[i] { return built }
        var p = Int(entries.domainSetStarts[i])
        let count = Self.varint(bytes, &p)
        var names: [String] = []
        names.reserveCapacity(count)
        for _ in 0..<count { names.append(string(Self.varint(bytes, &p))) }
        let made = DomainNames(names)
        domainSets[i] = made
        builtDomainSets.append(Int32(i))
        return made
    }

    /// LEB128 from the checked bytes (no bounds left to fail: the decoder read the same bytes).
    private static func varint(_ bytes: [UInt8], _ p: inout Int) -> Int {
        var result: UInt64 = 0, shift: UInt64 = 0
        while p < bytes.count, shift < 64 {
            let byte = bytes[p]
            p += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        return Int(truncatingIfNeeded: result)
    }

    private static func signed(_ bytes: [UInt8], _ p: inout Int) -> Int {
        let v = UInt64(bitPattern: Int64(varint(bytes, &p)))
        return Int(truncatingIfNeeded: Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1))
    }
}
