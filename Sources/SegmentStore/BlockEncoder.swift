import FlowCore

/// Turns a block's flows into the raw (uncompressed) payload: per-block dictionaries, then one
/// column per record field.
///
/// The byte layout is drawn in `SegmentFormat` ("raw payload").
///
/// Each block lists its own strings, label sets, identities and traces, but an encoder numbers
/// them once for its life (`EncoderCatalog`), so a block meeting them again copies numbers
/// rather than hashing values.
///
/// Ends, not starts, are delta-coded: a flow cache emits flows about in end order, so the
/// deltas stay small while durations vary.
///
/// A "conversation" is everything that repeats between the flows of one client to one service:
/// both addresses, destination port, protocol, VLANs, the whole annotation and the node. In
/// Kubernetes traffic a block of thousands of flows holds far fewer conversations, so a record
/// shrinks to its conversation number, times, source port and counters. The few per-flow fields
/// with few distinct values (TCP flags, status, ICMP type and code) share one small "shape"
/// dictionary. Columns keep alike bytes together, which is what LZ4 then removes.
struct BlockEncoder {
    static let columnCount = 9

    /// Strings, label sets, identities and traces numbered for the writer's life; the block's
    /// own numbers of them are kept in the `block…` numberings.
    var catalog: EncoderCatalog
    var blockStrings = BlockNumbering()
    var blockLabelSets = BlockNumbering()
    var blockIdentities = BlockNumbering()
    var blockTraces = BlockNumbering()
    /// The format version written: up to 2 every block lists its own strings, label sets,
    /// identities and traces; from 3 they are numbered per segment (the `block…` numberings then
    /// live for the segment) and new ones go to a dictionary record beside the block.
    let formatVersion: UInt16
    /// Version 3: how many entries of each numbering earlier dictionary records hold.
    private(set) var dictionaryMarks = DictionaryMarks()
    /// Version 3: the raw dictionary record payload of the block last finished (empty when the
    /// block needed no new entry) and the entry numbers it holds.
    private(set) var dictionary = ByteSink()
    private(set) var dictionaryRange = DictionaryRange(from: DictionaryMarks(), to: DictionaryMarks())
    /// The block's annotations, numbered by their parts (`AnnotationKey`: source and destination
    /// identity, service string, trace numbers + 1, verdict).
    var annotations = DenseNumbering<AnnotationKey>()
    var addresses = DenseNumbering<IPAddress>()
    var conversations = DenseNumbering<Conversation>()
    var shapes = DenseNumbering<UInt64>()
    var domainSets: [DomainNames: Int] = [:]
    var domainSetList: [DomainNames] = []
    /// Per domain set: its names' block string numbers.
    var domainSetStrings: [[Int]] = []
    /// Domain sets by shared box: the DNS cache hands flows to one address the same box.
    var domainSetByStorage: [ObjectIdentifier: Int] = [:]
    private var columns = [ByteSink](repeating: ByteSink(), count: BlockEncoder.columnCount)
    /// The columns' values before packing.
    private var scratch = [[UInt64]](repeating: [], count: BlockEncoder.columnCount)
    /// Values less their base, and the sample a base is chosen from (`BasedColumn`).
    private var baseScratch: [UInt64] = []
    /// A conditioned column's predicted form, before it is known to be the smaller.
    private var trialColumn = ByteSink()
    /// From version 5, per record column the column its values are predicted from
    /// (`ConditionedColumn`): bytes out from packets out, packets in from packets out, bytes in
    /// from packets in. Each key column comes before the column it predicts.
    static let conditioning: [Int?] = [nil, nil, nil, nil, nil, 4, 4, 6, nil]

    /// Everything of a conversation but its annotation.
    struct Route: Hashable {
        var source: Int
        var destination: Int
        var destinationPort: UInt16
        var ipProtocol: UInt8
        var vlan: UInt16
        var innerVLAN: UInt16
        var node: Int
    }

    struct Conversation: Hashable {
        var route: Route
        var annotation: Int   // + 1; 0 = none
        var domains: Int      // + 1; 0 = none
    }

    // The block's records, column by column, until `finish`.
    private var conversationColumn: [UInt32] = []
    private var ends: [UInt64] = []
    private var starts: [UInt64] = []
    private var sourcePorts: [UInt16] = []
    private var counters: [(UInt64, UInt64, UInt64, UInt64)] = []
    private var shapeColumn: [UInt32] = []
    // Numbers by shared box (see `FlowAnnotation`), for annotations without the producer's
    // numbers. The maps hold plain numbers (a lookup then copies no reference); `boxesNamed`
    // holds the boxes they name, so an identifier cannot be reused for another box within the block.
    private var annotationByStorage: [ObjectIdentifier: Int] = [:]
    var boxesNamed = BoxesNamed()
    /// The catalog numbers of the parts the producer numbered (`AnnotationNumbers`), by the
    /// producer's numbers: an annotation carrying them is numbered without touching its boxes.
    var numberedParts = NumberedParts()
    private var digestSummary = DigestSummary()
    /// The string number of "" (interned first in every block).
    private(set) var emptyNode = 0
    /// The last node string met and its number: flows of one capture come from one node.
    private var lastNode = (name: "", id: 0)

    init(catalogEntryLimit: Int = EncoderCatalog.defaultEntryLimit, formatVersion: UInt16 = SegmentFormat.version) {
        precondition(formatVersion >= SegmentFormat.domainsVersion && formatVersion <= SegmentFormat.version, "unsupported format version")
        catalog = EncoderCatalog(entryLimit: catalogEntryLimit)
        self.formatVersion = formatVersion
        reset()
    }

    /// Version 3: the next block starts a segment, so it numbers strings, label sets,
    /// identities and traces from 0 and its dictionary record holds all it uses. Call between
    /// blocks (no record added since the last `finish`).
    mutating func startSegment() {
        precondition(count == 0, "startSegment() inside a block")
        guard formatVersion >= SegmentFormat.segmentDictionaryVersion else { return }
        blockStrings.startBlock()
        blockLabelSets.startBlock()
        blockIdentities.startBlock()
        blockTraces.startBlock()
        dictionaryMarks = DictionaryMarks()
        emptyNode = intern("")
        lastNode = ("", emptyNode)
    }

    /// The dictionary record of the block last finished did not reach the file: its entries
    /// go to the next block's record.
    mutating func dictionaryNotWritten() {
        dictionaryMarks = dictionaryRange.from
        dictionaryRange = DictionaryRange(from: dictionaryMarks, to: dictionaryMarks)
    }

    private var currentMarks: DictionaryMarks {
        DictionaryMarks(strings: blockStrings.count, labelSets: blockLabelSets.count, identities: blockIdentities.count,
                        traces: blockTraces.count)
    }

    /// The entries numbered from `marks` on, each table in turn (layout in `SegmentFormat`);
    /// `counted` puts each table's count before it (a version 1–2 block's dictionaries).
    private func writeEntries(from marks: DictionaryMarks, into out: inout ByteSink, counted: Bool) {
        for s in blockStrings.members[marks.strings...] { out.string(catalog.stringList[s]) }
        if counted { out.varint(blockLabelSets.count) }
        for set in blockLabelSets.members[marks.labelSets...] {
            let parts = catalog.labelSetParts[set]
            out.varint(parts.count)
            for part in parts {
                out.varint(blockStrings.existingNumber(of: part.key))
                out.varint(blockStrings.existingNumber(of: part.value))
            }
        }
        if counted { out.varint(blockIdentities.count) }
        for identity in blockIdentities.members[marks.identities...] {
            let parts = catalog.identityParts[identity]
            out.u8(catalog.identityList[identity].kind.rawValue)
            out.varint(blockStrings.existingNumber(of: parts.namespace))
            out.varint(blockStrings.existingNumber(of: parts.name))
            out.varint(blockStrings.existingNumber(of: parts.aggregatedName))
            out.varint(blockLabelSets.existingNumber(of: parts.labels))
            out.varint(blockStrings.existingNumber(of: parts.serviceAccount))
        }
        if counted { out.varint(blockTraces.count) }
        for number in blockTraces.members[marks.traces...] {
            let trace = catalog.traceList[number], strings = catalog.traceHitStrings[number]
            out.u8(trace.reporter.rawValue)
            out.u8(trace.action.rawValue)
            out.varint(trace.hits.count)
            for (hit, names) in zip(trace.hits, strings) {
                out.signed(Int64(hit.index))
                out.varint(blockStrings.existingNumber(of: names.tier))
                out.u8(hit.kind.rawValue)
                out.varint(blockStrings.existingNumber(of: names.namespace))
                out.varint(blockStrings.existingNumber(of: names.name))
                out.u8(hit.action.rawValue)
                out.signed(Int64(hit.ruleIndex))
            }
        }
    }

    /// Encodes `flows` (non-empty) as one raw payload, appended to `out`.
    /// Records added since the last `finish`.
    var count: Int { ends.count }

    /// Adds one record: interns what repeats, keeps the per-record numbers as plain integers
    /// (their time unit is only known at `finish`). Allocates only for values new to the block.
    /// Borrowed: the rows are the caller's, and a copy would retain every box a flow holds.
    mutating func add(_ record: AnnotatedFlow) {
        withUnsafePointer(to: record) { add(row: $0) }
    }

    /// `add`, reading the row where it lies: a row passed by value from the writer's buffers
    /// was copied first, a retain and a release of every box it holds.
    mutating func add(row: UnsafePointer<AnnotatedFlow>) {
        let f = row.pointee.flow
        let node: Int
        if row.pointee.node == lastNode.name {
            node = lastNode.id
        } else {
            let name = row.pointee.node
            node = name.isEmpty ? emptyNode : intern(name)
            lastNode = (name, node)
        }
        let route = Route(source: intern(f.sourceAddress), destination: intern(f.destinationAddress),
                          destinationPort: f.destinationPort, ipProtocol: f.ipProtocol.rawValue,
                          vlan: f.vlan, innerVLAN: f.innerVLAN, node: node)
        let annotation = annotationID(row)
        let domains = row.pointee.destinationDomains.isEmpty ? 0 : intern(domains: row.pointee.destinationDomains) + 1
        let conversation = intern(Conversation(route: route, annotation: annotation, domains: domains))
        conversationColumn.append(UInt32(conversation))
        ends.append(f.end.nanoseconds)
        starts.append(f.start.nanoseconds)
        sourcePorts.append(f.sourcePort)
        counters.append((f.packetsOut, f.bytesOut, f.packetsIn, f.bytesIn))
        shapeColumn.append(UInt32(intern(shape: Self.shape(f))))
        digestSummary.add(f)
    }

    /// The annotation's number + 1 (0: none). An annotation carrying the producer's numbers is
    /// found by its parts' numbers (`intern(numbered:)`), array lookups and one probe. Without
    /// them, flows the policy engine answered from its cache share one box, found by its
    /// identity without hashing anything inside; a new box is numbered by its parts
    /// (`intern(_: FlowAnnotation)`), which are boxes found the same way.
    /// (Guessing the number from the route's or an address's last annotation and confirming
    /// with `==` cost more than it saved: in busy clusters most boxes are new.)
    private mutating func annotationID(_ row: UnsafePointer<AnnotatedFlow>) -> Int {
        guard let numbers = row.pointee.annotation?.numbers else { return 0 }
        if !numbers.isAbsent, let id = intern(numbered: numbers, row.pointee.annotation.unsafelyUnwrapped) { return id + 1 }
        let annotation = row.pointee.annotation.unsafelyUnwrapped
        if let known = annotationByStorage[annotation.storageIdentity] { return known }
        let id = intern(annotation) + 1
        annotationByStorage[annotation.storageIdentity] = id
        boxesNamed.annotations.append(annotation)
        return id
    }

    /// One dictionary field, packed (dictionary fields are written field by field).
    func pack(_ values: [UInt64], into out: inout ByteSink) {
        PackedColumn.encode(values, into: &out)
    }

    /// Zigzag of a wrapping difference: small deltas either way stay small.
    static func zigzag(_ difference: UInt64) -> UInt64 {
        let v = Int64(bitPattern: difference)
        return UInt64(bitPattern: (v << 1) ^ (v >> 63))
    }

    /// A record column of `count` values, each written in place into a new array (inlined, so
    /// `value` is the loop's body, not a call).
    @inline(__always)
    static func column(_ count: Int, _ value: (Int) -> UInt64) -> [UInt64] {
        [UInt64](unsafeUninitializedCapacity: count) { column, initialized in
            for i in 0..<count { column[i] = value(i) }
            initialized = count
        }
    }

    /// Writes the block's raw payload to `out`, returns its digest, and starts a new block.
    mutating func finish(into out: inout ByteSink) -> BlockDigest {
        precondition(count > 0, "finish() on an empty block")
        let exponent = Self.timeUnitExponent(starts: starts, ends: ends)
        var unit: UInt64 = 1
        for _ in 0..<exponent { unit *= 10 }
        let baseEnd = ends[0] / unit
        // Addresses and conversations are written sorted (addresses by value, conversations by
        // source then destination), so both tables delta-code to a few bits per entry; the
        // numbers records and conversations use are remapped to the sorted order.
        let addressList = addresses.keys, conversationList = conversations.keys
        // Keys of one word, the first-seen number in the low 21 bits (a block holds at most
        // 2^20 records, so 2^21 addresses), sorted by their digits (`RadixSort`).
        precondition(addressList.count <= 1 << 21 && conversationList.count <= 1 << 21, "block too large to sort")
        let addressOrder = Self.sortedOrder(of: addressList)
        var addressNumber = [Int](repeating: 0, count: addressList.count)
        for (new, old) in addressOrder.enumerated() { addressNumber[old] = new }
        // One word per conversation: source, destination, then first-seen order, 21 bits each.
        var conversationKeys = conversationList.indices.map { i -> UInt64 in
            let route = conversationList[i].route
            return UInt64(addressNumber[route.source]) << 42 | UInt64(addressNumber[route.destination]) << 21 | UInt64(i)
        }
        RadixSort.sort(&conversationKeys)
        let conversationOrder = conversationKeys.map { Int($0 & (1 << 21 - 1)) }
        var conversationNumber = [Int](repeating: 0, count: conversationList.count)
        for (new, old) in conversationOrder.enumerated() { conversationNumber[old] = new }
        // From version 4 a duration is end − start as it is (a flow ends after it starts; one
        // that does not wraps to an exception), before that zigzag-coded.
        let based = formatVersion >= SegmentFormat.basedColumnsVersion
        // Column by column, each written in place into a new array: appending to `scratch[k]`
        // row by row checked the nested array's uniqueness and capacity on every value, nine
        // calls a flow. (Nine allocations a block.)
        let n = count
        let rowConversations = conversationColumn, starts = self.starts, ends = self.ends
        scratch[0] = Self.column(n) { UInt64(conversationNumber[Int(rowConversations[$0])]) }
        scratch[1] = [UInt64](unsafeUninitializedCapacity: n) { column, initialized in
            var previousEnd = baseEnd
            for i in 0..<n {
                let end = ends[i] / unit
                column[i] = Self.zigzag(end &- previousEnd)
                previousEnd = end
            }
            initialized = n
        }
        scratch[2] = Self.column(n) { i in
            let start = starts[i] / unit, end = ends[i] / unit
            return based ? end &- start : Self.zigzag(end &- start)
        }
        let sourcePorts = self.sourcePorts, counters = self.counters, shapeColumn = self.shapeColumn
        scratch[3] = Self.column(n) { UInt64(sourcePorts[$0]) }
        scratch[4] = Self.column(n) { counters[$0].0 }
        scratch[5] = Self.column(n) { counters[$0].1 }
        scratch[6] = Self.column(n) { counters[$0].2 }
        scratch[7] = Self.column(n) { counters[$0].3 }
        scratch[8] = Self.column(n) { UInt64(shapeColumn[$0]) }
        let conditioned = formatVersion >= SegmentFormat.conditionedColumnsVersion
        for k in scratch.indices {
            if conditioned, let key = Self.conditioning[k] {
                ConditionedColumn.encode(scratch[k], keys: scratch[key], into: &columns[k], scratch: &baseScratch, trial: &trialColumn)
            } else if based {
                BasedColumn.encode(scratch[k], into: &columns[k], scratch: &baseScratch)
            } else {
                PackedColumn.encode(scratch[k], into: &columns[k])
            }
        }
        let flows = count

        out.u8(UInt8(exponent))
        out.varint(flows)
        out.varint(baseEnd)
        if formatVersion < SegmentFormat.segmentDictionaryVersion {
            out.varint(blockStrings.count)
            writeEntries(from: DictionaryMarks(), into: &out, counted: true)
        } else {
            // Version 3: the entries new since the segment's last dictionary record go to a
            // record of their own (`dictionary`), the block refers to them by number.
            let written = dictionaryMarks
            dictionary.bytes.removeAll(keepingCapacity: true)
            dictionaryRange = DictionaryRange(from: written, to: currentMarks)
            if !dictionaryRange.isEmpty { writeEntries(from: written, into: &dictionary, counted: false) }
            dictionaryMarks = currentMarks
        }
        let sorted = conversationOrder.map { conversationList[$0] }
        let sortedAddresses = addressOrder.map { addressList[$0] }
        if formatVersion >= SegmentFormat.segmentDictionaryVersion {
            writeFoldedTables(into: &out, sortedAddresses: sortedAddresses, addressNumber: addressNumber, sorted: sorted)
        } else {
            // Annotations and conversations field by field: alike values side by side compress better.
            let annotationParts = annotations.keys
            out.varint(annotationParts.count)
            pack(annotationParts.map { UInt64($0.source) }, into: &out)
            pack(annotationParts.map { UInt64($0.destination) }, into: &out)
            pack(annotationParts.map { UInt64($0.service) }, into: &out)
            pack(annotationParts.map { UInt64($0.verdict.rawValue) }, into: &out)
            pack(annotationParts.map { UInt64($0.egress) }, into: &out)
            pack(annotationParts.map { UInt64($0.ingress) }, into: &out)
            pack(annotationParts.map { UInt64($0.pendingEgress) }, into: &out)
            pack(annotationParts.map { UInt64($0.pendingIngress) }, into: &out)
            Self.write(addresses: sortedAddresses, prefixCoded: false, into: &out)
            writeConversationAddresses(sorted, addressNumber: addressNumber, into: &out)
            pack(sorted.map { UInt64($0.route.destinationPort) }, into: &out)
            pack(sorted.map { UInt64($0.route.ipProtocol) }, into: &out)
            // + 1 so the common "no VLAN" (0xFFFF) packs to zero bits.
            pack(sorted.map { UInt64($0.route.vlan &+ 1) }, into: &out)
            pack(sorted.map { UInt64($0.route.innerVLAN &+ 1) }, into: &out)
            pack(sorted.map { UInt64($0.annotation) }, into: &out)
            pack(sorted.map { UInt64($0.route.node) }, into: &out)
        }
        out.varint(domainSetList.count)
        for names in domainSetStrings {
            out.varint(names.count)
            for name in names { out.varint(name) }
        }
        pack(sorted.map { UInt64($0.domains) }, into: &out)
        out.varint(shapes.count)
        for shape in shapes.keys { out.u64(shape) }
        for column in columns { out.varint(column.bytes.count) }
        for column in columns { out.append(column.bytes) }
        var digest = digestSummary.start()
        includeDistinctValues(in: &digest)
        digest.seal()
        digestSummary = DigestSummary()
        reset()
        return digest
    }

    /// The boxes the `…ByStorage` maps name, kept alive until the block is finished.
    struct BoxesNamed {
        var annotations: [FlowAnnotation] = []
        var domainSets: [DomainNames] = []

        mutating func removeAll() {
            annotations.removeAll(keepingCapacity: true)
            domainSets.removeAll(keepingCapacity: true)
        }
    }

    private mutating func reset() {
        conversationColumn.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        sourcePorts.removeAll(keepingCapacity: true)
        counters.removeAll(keepingCapacity: true)
        shapeColumn.removeAll(keepingCapacity: true)
        annotationByStorage.removeAll(keepingCapacity: true)
        let catalogStartedAfresh = catalog.trim()
        if formatVersion < SegmentFormat.segmentDictionaryVersion {
            blockStrings.startBlock()
            blockLabelSets.startBlock()
            blockIdentities.startBlock()
            blockTraces.startBlock()
        } else if catalogStartedAfresh {
            // Catalog numbers now name other values: the segment keeps its numbers (every one
            // is in a record already written) and numbers what comes next after them.
            blockStrings.rekey()
            blockLabelSets.rekey()
            blockIdentities.rekey()
            blockTraces.rekey()
        }
        if catalogStartedAfresh { numberedParts.forget() }
        annotations.removeAll()
        addresses.removeAll()
        conversations.removeAll()
        shapes.removeAll()
        domainSets.removeAll(keepingCapacity: true)
        domainSetList.removeAll(keepingCapacity: true)
        domainSetStrings.removeAll(keepingCapacity: true)
        domainSetByStorage.removeAll(keepingCapacity: true)
        boxesNamed.removeAll()
        for i in columns.indices { columns[i].bytes.removeAll(keepingCapacity: true) }
        emptyNode = intern("")
        lastNode = ("", emptyNode)
    }

    /// The first-seen numbers of `addresses` (distinct, at most 2^21) in ascending order of the
    /// addresses. IPv4 addresses (most of a block's) sort as one word each, the address above
    /// its number (`RadixSort`); IPv6 ones, which order after every IPv4 one, by comparison.
    static func sortedOrder(of addresses: [IPAddress]) -> [Int] {
        var keys: [UInt64] = []
        var v6: [Int] = []
        keys.reserveCapacity(addresses.count)
        for (i, a) in addresses.enumerated() {
            if a.version == .v4 && a.high == 0 && a.low >> 32 == 0 {
                keys.append(a.low << 21 | UInt64(i))
            } else if a.version == .v6 {
                v6.append(i)
            } else {
                // Not an IPv4 address as `IPAddress(ipv4:)` makes them: compare them all.
                return addresses.indices.sorted { addresses[$0] < addresses[$1] }
            }
        }
        RadixSort.sort(&keys)
        v6.sort { addresses[$0] < addresses[$1] }
        return keys.map { Int($0 & (1 << 21 - 1)) } + v6
    }

    /// The coarsest unit (1 s, 1 ms, 1 µs, 1 ns) every start and end is a whole multiple of, so
    /// microsecond pcap timestamps cost no bytes for their three trailing zero digits.
    static func timeUnitExponent(starts: [UInt64], ends: [UInt64]) -> Int {
        var exponent = 9
        var unit: UInt64 = 1_000_000_000
        for i in starts.indices {
            while exponent > 0 && (starts[i] % unit != 0 || ends[i] % unit != 0) {
                exponent -= 3
                unit /= 1000
            }
            if exponent == 0 { break }
        }
        return exponent
    }
}

/// How many entries of each segment-wide numbering a dictionary record boundary has.
struct DictionaryMarks: Equatable {
    var strings = 0, labelSets = 0, identities = 0, traces = 0
}

/// The entry numbers one dictionary record defines: `from` up to `to`, table by table.
struct DictionaryRange: Equatable {
    var from: DictionaryMarks
    var to: DictionaryMarks
    var isEmpty: Bool { from == to }
}
