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
///
/// Encoding a block is two passes. Numbering (`add`, then `close`) must run block after block:
/// it reads and extends what outlives the block (the catalog, the segment's dictionary
/// numbering, the dictionary record's marks). Laying the block out (`NumberedBlock.layOut`:
/// sorting, columns, tables, most of the digest) reads only the block's own `BlockContent`, so
/// it may run on another thread while the next block is numbered.
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
    /// The block being numbered: its values and records (handed over whole at `close`).
    var content = BlockContent()
    /// Domain sets by value and by shared box: the DNS cache hands flows to one address the
    /// same box. Their numbers index `content.domainSetStrings`.
    var domainSets: [DomainNames: Int] = [:]
    var domainSetByStorage: [ObjectIdentifier: Int] = [:]
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

    // Numbers by shared box (see `FlowAnnotation`), for annotations without the producer's
    // numbers. The maps hold plain numbers (a lookup then copies no reference); `boxesNamed`
    // holds the boxes they name, so an identifier cannot be reused for another box within the block.
    private var annotationByStorage: [ObjectIdentifier: Int] = [:]
    var boxesNamed = BoxesNamed()
    /// The catalog numbers of the parts the producer numbered (`AnnotationNumbers`), by the
    /// producer's numbers: an annotation carrying them is numbered without touching its boxes.
    var numberedParts = NumberedParts()
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

    private var currentMarks: DictionaryMarks {
        DictionaryMarks(strings: blockStrings.count, labelSets: blockLabelSets.count, identities: blockIdentities.count,
                        traces: blockTraces.count)
    }

    /// The entries numbered from `marks` on, each table in turn (layout in `SegmentFormat`);
    /// `counted` puts each table's count before it (a version 1–2 block's dictionaries).
    private func writeEntries(from marks: DictionaryMarks, into out: inout ByteSink, counted: Bool) {
        writeStrings(from: marks.strings, into: &out)
        if counted { out.varint(blockLabelSets.count) }
        writeLabelSets(from: marks.labelSets, into: &out)
        if counted { out.varint(blockIdentities.count) }
        writeIdentities(from: marks.identities, into: &out)
        if counted { out.varint(blockTraces.count) }
        writeTraces(from: marks.traces, into: &out)
    }

    /// Version 3: the entries numbered from `marks` on (up to `to`, the current marks), for a
    /// dictionary record, each table apart (`DictionaryEntries`).
    private func dictionaryEntries(from marks: DictionaryMarks, to: DictionaryMarks) -> DictionaryEntries {
        var entries = DictionaryEntries(range: DictionaryRange(from: marks, to: to))
        guard !entries.range.isEmpty else { return entries }
        writeStrings(from: marks.strings, into: &entries.strings)
        writeLabelSets(from: marks.labelSets, into: &entries.labelSets)
        writeIdentities(from: marks.identities, into: &entries.identities)
        writeTraces(from: marks.traces, into: &entries.traces)
        return entries
    }

    private func writeStrings(from mark: Int, into out: inout ByteSink) {
        for s in blockStrings.members[mark...] { out.string(catalog.stringList[s]) }
    }

    private func writeLabelSets(from mark: Int, into out: inout ByteSink) {
        for set in blockLabelSets.members[mark...] {
            let parts = catalog.labelSetParts[set]
            out.varint(parts.count)
            for part in parts {
                out.varint(blockStrings.existingNumber(of: part.key))
                out.varint(blockStrings.existingNumber(of: part.value))
            }
        }
    }

    private func writeIdentities(from mark: Int, into out: inout ByteSink) {
        for identity in blockIdentities.members[mark...] {
            let parts = catalog.identityParts[identity]
            out.u8(catalog.identityList[identity].kind.rawValue)
            out.varint(blockStrings.existingNumber(of: parts.namespace))
            out.varint(blockStrings.existingNumber(of: parts.name))
            out.varint(blockStrings.existingNumber(of: parts.aggregatedName))
            out.varint(blockLabelSets.existingNumber(of: parts.labels))
            out.varint(blockStrings.existingNumber(of: parts.serviceAccount))
        }
    }

    private func writeTraces(from mark: Int, into out: inout ByteSink) {
        for number in blockTraces.members[mark...] {
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

    /// Records added since the last `close`.
    var count: Int { content.count }

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
        let shape = intern(shape: Self.shape(f))
        content.conversationColumn.append(UInt32(conversation))
        content.ends.append(f.end.nanoseconds)
        content.starts.append(f.start.nanoseconds)
        content.sourcePorts.append(f.sourcePort)
        content.counters.append((f.packetsOut, f.bytesOut, f.packetsIn, f.bytesIn))
        content.shapeColumn.append(UInt32(shape))
        content.digestSummary.add(f)
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

    /// Zigzag of a wrapping difference: small deltas either way stay small.
    static func zigzag(_ difference: UInt64) -> UInt64 {
        let v = Int64(bitPattern: difference)
        return UInt64(bitPattern: (v << 1) ^ (v >> 63))
    }

    /// Ends the block's numbering and hands the block over to be laid out (anywhere); the
    /// encoder starts the next block in `spare`'s storage. What needs the encoder's state that
    /// outlives the block is done here, in order: the dictionaries (version 3 on: the entries
    /// new to the segment, for the block's dictionary record; before: the block's own, for its
    /// payload) and the digest's tokens of catalog values.
    mutating func close(reusing spare: BlockContent = BlockContent()) -> NumberedBlock {
        precondition(count > 0, "close() on an empty block")
        var block = NumberedBlock(content: spare, formatVersion: formatVersion)
        swap(&block.content, &content)
        content.removeAll()
        if formatVersion < SegmentFormat.segmentDictionaryVersion {
            var inline = ByteSink()
            inline.varint(blockStrings.count)
            writeEntries(from: DictionaryMarks(), into: &inline, counted: true)
            block.inlineDictionaries = inline.bytes
        } else {
            // Version 3: the entries new since the segment's last dictionary record go to a
            // record of their own, the block refers to them by number.
            block.dictionary = dictionaryEntries(from: dictionaryMarks, to: currentMarks)
            dictionaryMarks = currentMarks
        }
        block.catalogDigest = catalogDigestParts(of: block.content)
        reset()
        return block
    }

    /// Writes the block's raw payload to `out`, returns its digest, and starts a new block:
    /// `close` and `layOut` one after the other.
    mutating func finish(into out: inout ByteSink) -> BlockDigest {
        var layout = BlockLayout()
        return close().layOut(with: &layout, into: &out)
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
        domainSets.removeAll(keepingCapacity: true)
        domainSetByStorage.removeAll(keepingCapacity: true)
        boxesNamed.removeAll()
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
