import FlowCore

/// Reads a raw block payload (see `BlockEncoder`) back into `AnnotatedFlow`s.
///
/// The dictionaries are checked once per block and built entry by entry when asked for
/// (`BlockDictionaries`): one prepared `AnnotatedFlow` per distinct (annotation, node, domain
/// names) carries what all its conversations' records share, so a record costs a few column
/// reads into a trivially copyable `FlowRecord`; the scan loop (`StoreReader.scan`, inlined into
/// the caller) builds a prepared record the first time one of its rows is admitted, sets its
/// `flow` and lends it to the visitor, with no allocation or reference counting per record.
struct BlockDecoder {
    /// Why a payload could not be decoded; the caller adds file and offset.
    struct Malformed: Error, CustomStringConvertible {
        var reason: String
        /// Byte offset in the raw (decompressed) payload, when it is about one value.
        var position: Int?
        var description: String { position.map { "\(reason) at raw payload byte \($0)" } ?? reason }
    }



    /// The block's dictionaries, built on demand; its rows and sums refer to it.
    let dictionaries = BlockDictionaries()
    var addresses: [IPAddress] = []
    /// Scratch for one packed dictionary field.
    var packed: [UInt64] = []
    /// Unpacked column values, reused from block to block.
    var values = [[UInt64]](repeating: [], count: BlockEncoder.columnCount)
    /// Per conversation, its prepared record in the decoded block's `templates`.
    private(set) var conversationTemplate: [Int32] = []
    private typealias TemplateKey = BlockDictionaries.TemplateKey
    /// Per annotation + 1, the first prepared record made for it (-1: none yet); other
    /// (node, domain set) pairs with the same annotation go to `templateOfPair`.
    private var templateOfAnnotation: [Int32] = []
    private var templateOfPair: [TemplateKey: Int32] = [:]
    /// The format version of the block being decoded (its header's): older blocks lack parts.
    var payloadVersion: UInt16 = SegmentFormat.version
    /// Version 3: the dictionary records of the block's segment (none read: every reference
    /// to a string, label set, identity or trace is out of range).
    var segmentDictionary: SegmentDictionary?
    private var shapes: [UInt64] = []
    /// Of the conversations `readConversationSources` read last, how many start a source (the
    /// first, and each whose source differs from the one before).
    var sourcesStarted = 0
    /// Field-by-field staging for the annotation and conversation tables.
    var fields: [[UInt64]] = Array(repeating: [], count: 17)
    /// Version 3 staging: 0–5 the outcome table, 6 address identities, 7–9 the annotation
    /// columns, 10 the port table, 11–12 each annotation's first source and destination, 13
    /// (version 4) per address the last outcome + 1 of an annotation to it.
    var folded: [[UInt64]] = Array(repeating: [], count: 14)
    /// Version 5: the table that finds equal annotations (`shareAnnotations`), reused.
    var annotationTriples = DistinctTriples()

    init() {}

    /// The per-record part of a payload, after its dictionaries: one cursor per column.
    struct RecordColumns {
        var count: Int
        /// Nanoseconds per stored time unit.
        var unit: UInt64
        var baseEnd: UInt64
        var columns: [ByteCursor]
        /// Version 4 on: every column has a base (`BasedColumn`) and durations are unsigned.
        var based: Bool
        /// Version 5 on: the columns `BlockEncoder.conditioning` names are predicted from others.
        var conditioned: Bool
        /// Scratch for a conditioned column's prediction table.
        var table: [UInt64] = []

        /// Unpacks column `k` into `values` (resized; capacity kept). A column predicted from
        /// another (`BlockEncoder.conditioning`) needs that one's values, unpacked first, as `keys`.
        mutating func unpack(_ k: Int, into values: inout [UInt64], keys: [UInt64] = []) throws {
            if conditioned && BlockEncoder.conditioning[k] != nil {
                try ConditionedColumn.decode(&columns[k], count: count, keys: keys, into: &values, table: &table)
            } else if based {
                try BasedColumn.decode(&columns[k], count: count, into: &values)
            } else {
                try PackedColumn.decode(&columns[k], count: count, into: &values)
            }
        }

        /// A stored duration in units.
        @inline(__always) func duration(_ stored: UInt64) -> UInt64 { based ? stored : BlockDecoder.unzigzag(stored) }
    }

    /// Decodes `raw` into `block`: every record overlapping `[since, until)` (start < until,
    /// end ≥ since; nil = unbounded) as a row of its columns, and per conversation its shared
    /// fields and prepared `AnnotatedFlow`. Returns how many records the block holds.
    mutating func decode(_ raw: UnsafeRawBufferPointer, since: Timestamp?, until: Timestamp?,
                         into block: inout BlockRows) throws -> Int {
        do {
            block.clear()
            var layout = try readLayout(raw, numberingOnDemand: block.numbersPreparedOnDemand)
            block.lend(dictionaries)
            if block.numbersPreparedOnDemand {
                // The block's table, not shared (it numbers conversations in place).
                swap(&block.templateOfConversation, &conversationTemplate)
            }
            try decodeRecords(&layout, since: since, until: until, into: &block)
            return layout.count
        } catch let overrun as ByteCursor.Overrun {
            throw Malformed(reason: "value out of range or past the end", position: overrun.position)
        }
    }

    /// Reads the payload's preamble and dictionaries and locates its columns.
    ///
    /// The dictionaries are checked, not built (`dictionaries` builds entries when asked).
    /// Without `annotations`, every conversation shares one prepared record, which carries no
    /// annotation and an empty node.
    mutating func readLayout(_ raw: UnsafeRawBufferPointer, annotations materialize: Bool = true,
                             numberingOnDemand: Bool = false) throws -> RecordColumns {
        var c = ByteCursor(raw)
        let exponent = try c.u8()
        guard exponent <= 9, exponent % 3 == 0 else { throw Malformed(reason: "bad time unit \(exponent)", position: 0) }
        var unit: UInt64 = 1
        for _ in 0..<exponent { unit *= 10 }
        // The header's count was checked against the limit; this one must agree with it, and
        // bounds every table below, so no count in the payload can make a large allocation.
        let count = try c.index(below: Int(SegmentFormat.maximumBlockRecords) + 1)
        let baseEnd = try c.varint()
        try readDictionaries(&c, records: count, materialize: materialize, numberingOnDemand: numberingOnDemand && materialize)

        var lengths = [Int](repeating: 0, count: BlockEncoder.columnCount)
        for i in 0..<BlockEncoder.columnCount { lengths[i] = try c.index(below: c.remaining + 1) }
        var columns = [ByteCursor]()
        columns.reserveCapacity(BlockEncoder.columnCount)
        var position = c.position
        for length in lengths {
            guard position + length <= raw.count else { throw Malformed(reason: "column past the payload", position: position) }
            columns.append(ByteCursor(raw, from: position, to: position + length))
            position += length
        }
        return RecordColumns(count: count, unit: unit, baseEnd: baseEnd, columns: columns,
                             based: payloadVersion >= SegmentFormat.basedColumnsVersion,
                             conditioned: payloadVersion >= SegmentFormat.conditionedColumnsVersion)
    }

    /// `count` elements, capacity kept; those already there keep their values.
    @inline(__always)
    static func resize<T>(_ array: inout [T], to count: Int, filler: T) {
        if array.count > count {
            array.removeLast(array.count - count)
        } else if array.count < count {
            array.append(contentsOf: repeatElement(filler, count: count - array.count))
        }
    }

    /// Undoes `BlockEncoder.zigzag`.
    @inline(__always) static func unzigzag(_ v: UInt64) -> UInt64 {
        UInt64(bitPattern: Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1))
    }

    private mutating func decodeRecords(_ layout: inout RecordColumns, since: Timestamp?, until: Timestamp?,
                                        into block: inout BlockRows) throws {
        let count = layout.count, unit = layout.unit, baseEnd = layout.baseEnd, signed = !layout.based
        // Columns unpack straight into the block's arrays (kept from block to block).
        try layout.unpack(0, into: &block.conversationOfRow)
        try layout.unpack(1, into: &block.ends)
        try layout.unpack(2, into: &block.starts)
        try layout.unpack(3, into: &block.sourcePorts)
        try layout.unpack(4, into: &block.packetsOut)
        try layout.unpack(5, into: &block.bytesOut, keys: block.packetsOut)
        try layout.unpack(6, into: &block.packetsIn, keys: block.packetsOut)
        try layout.unpack(7, into: &block.bytesIn, keys: block.packetsIn)
        try layout.unpack(8, into: &block.shapes)
        let conversationCount = UInt64(fields[8].count), shapeCount = UInt64(shapes.count)
        // Ends from their deltas, starts from the durations, both to nanoseconds; shape numbers
        // to shapes; every reference checked before a row can use it.
        var end = baseEnd
        try block.conversationOfRow.withUnsafeBufferPointer { conversationOf in
            try shapes.withUnsafeBufferPointer { shapeTable in
                try block.shapes.withUnsafeMutableBufferPointer { shapeOf in
                    try block.ends.withUnsafeMutableBufferPointer { ends in
                        try block.starts.withUnsafeMutableBufferPointer { starts in
                            for i in 0..<count {
                                guard conversationOf[i] < conversationCount else {
                                    throw Malformed(reason: "conversation number out of range", position: nil)
                                }
                                guard shapeOf[i] < shapeCount else { throw Malformed(reason: "shape number out of range", position: nil) }
                                shapeOf[i] = shapeTable[Int(truncatingIfNeeded: shapeOf[i])]
                                end = end &+ Self.unzigzag(ends[i])
                                starts[i] = (end &- (signed ? Self.unzigzag(starts[i]) : starts[i])) &* unit
                                ends[i] = end &* unit
                            }
                        }
                    }
                }
            }
        }
        var kept = count
        if since != nil || until != nil {
            // Rows outside the range are dropped by moving the rest down, column by column.
            let sinceNS = since?.nanoseconds ?? 0, untilNS = until?.nanoseconds ?? .max
            kept = 0
            for i in 0..<count {
                let startNS = block.starts[i], endNS = block.ends[i]
                if startNS >= untilNS || endNS < sinceNS { continue }
                if kept != i {
                    block.conversationOfRow[kept] = block.conversationOfRow[i]
                    block.sourcePorts[kept] = block.sourcePorts[i]
                    block.packetsOut[kept] = block.packetsOut[i]
                    block.bytesOut[kept] = block.bytesOut[i]
                    block.packetsIn[kept] = block.packetsIn[i]
                    block.bytesIn[kept] = block.bytesIn[i]
                    block.starts[kept] = startNS
                    block.ends[kept] = endNS
                    block.shapes[kept] = block.shapes[i]
                }
                kept += 1
            }
        }
        block.count = kept
        // Shared, not copied: `BlockRows.clear` lets go of them before the next block is decoded.
        block.conversations = conversationColumns
        if !block.numbersPreparedOnDemand { block.templateOfConversation = conversationTemplate }
    }

    /// The block's conversation tables, shared with the decoder's staging (whoever keeps them
    /// lets go before the next block is decoded, or the decoder's refill copies them).
    var conversationColumns: ConversationColumns {
        var columns = ConversationColumns()
        columns.addresses = addresses
        columns.sources = fields[8]
        columns.destinations = fields[9]
        columns.ports = fields[10]
        columns.protocols = fields[11]
        columns.vlans = fields[12]
        columns.innerVLANs = fields[13]
        return columns
    }

    // MARK: - Dictionaries

    /// Checks the dictionaries and notes where each entry starts (`BlockDictionaries` builds
    /// them when asked); numbers the block's prepared records, one per distinct (annotation,
    /// node, domain set) its conversations use (all one bare record without `materialize`).
    ///
    /// Each record brings at most one conversation, annotation and shape and two addresses, so
    /// `records` bounds those tables (a packed column of width 0 takes no bytes, so the bytes
    /// left would not).
    private mutating func readDictionaries(_ c: inout ByteCursor, records: Int, materialize: Bool, numberingOnDemand: Bool) throws {
        let d = dictionaries
        var e = d.reset()
        d.annotated = materialize
        addresses.removeAll(keepingCapacity: true)
        conversationTemplate.removeAll(keepingCapacity: true)
        templateOfPair.removeAll(keepingCapacity: true)
        shapes.removeAll(keepingCapacity: true)

        let stringCount: Int, labelSetCount: Int, identityCount: Int, traceCount: Int
        let segment: SegmentDictionary?
        if payloadVersion >= SegmentFormat.segmentDictionaryVersion {
            // The segment's records hold them, checked when they were loaded.
            let shared = segmentDictionary ?? .empty
            segment = shared
            e.share(shared)
            stringCount = shared.stringStarts.count
            labelSetCount = shared.labelSetStarts.count
            identityCount = shared.identityStarts.count
            traceCount = shared.traceStarts.count
        } else {
            segment = nil
            // Each entry takes at least one byte, which bounds every count by what is left.
            stringCount = try c.index(below: c.remaining + 1)
            e.stringStarts.reserveCapacity(stringCount)
            e.stringEnds.reserveCapacity(stringCount)
            for _ in 0..<stringCount {
                let length = try c.index(below: c.remaining + 1)
                e.stringStarts.append(Int32(c.position))
                try c.skip(length)
                e.stringEnds.append(Int32(c.position))
            }

            labelSetCount = try c.index(below: c.remaining + 1)
            for _ in 0..<labelSetCount {
                e.labelSetStarts.append(Int32(c.position))
                let pairs = try c.index(below: c.remaining + 1)
                for _ in 0..<(2 * pairs) { _ = try c.index(below: stringCount) }
            }

            identityCount = try c.index(below: c.remaining + 1)
            for _ in 0..<identityCount {
                let at = c.position
                e.identityStarts.append(Int32(at))
                guard EndpointKind(rawValue: try c.u8()) != nil else { throw Malformed(reason: "bad endpoint kind", position: at) }
                _ = try c.index(below: stringCount)
                _ = try c.index(below: stringCount)
                _ = try c.index(below: stringCount)
                _ = try c.index(below: labelSetCount)
                _ = try c.index(below: stringCount)
            }

            traceCount = try c.index(below: c.remaining + 1)
            for _ in 0..<traceCount {
                let at = c.position
                e.traceStarts.append(Int32(at))
                let reporterByte = try c.u8()
                guard Reporter(rawValue: reporterByte) != nil, Verdict(rawValue: try c.u8()) != nil else {
                    throw Malformed(reason: "bad trace reporter or action", position: at)
                }
                e.traceReporters.append(reporterByte)
                let hitCount = try c.index(below: c.remaining + 1)
                for _ in 0..<hitCount {
                    _ = try c.signed()
                    _ = try c.index(below: stringCount)
                    let kindAt = c.position
                    guard PolicyKind(rawValue: try c.u8()) != nil else { throw Malformed(reason: "bad policy kind", position: kindAt) }
                    _ = try c.index(below: stringCount)
                    _ = try c.index(below: stringCount)
                    let actionAt = c.position
                    guard PolicyAction(rawValue: try c.u8()) != nil else { throw Malformed(reason: "bad policy action", position: actionAt) }
                    _ = try c.signed()
                }
            }
        }
        let annotationCount: Int
        if segment != nil {
            annotationCount = try readFoldedTables(&c, records: records, entries: &e, identityCount: identityCount,
                                                   stringCount: stringCount, traceCount: traceCount)
        } else {
            annotationCount = try c.index(below: min(c.remaining, records) + 1)
            // Into the dictionaries' arrays (kept from block to block: fresh arrays per block would
            // cost page faults on every large block): 0–2 identities and service, 3 verdict, 4–7
            // traces + 1.
            let annotationLimits = [identityCount, identityCount, stringCount, 256, traceCount + 1, traceCount + 1, traceCount + 1, traceCount + 1]
            for k in 0..<8 {
                let at = c.position
                let bound = try PackedColumn.decode(&c, count: annotationCount, into: &e.annotationFields[k])
                guard annotationCount == 0 || bound < UInt64(annotationLimits[k]) || e.annotationFields[k].max()! < UInt64(annotationLimits[k]) else {
                    throw Malformed(reason: k == 3 ? "bad verdict" : outOfRange, position: c.position)
                }
                if k == 3 {
                    for raw in e.annotationFields[3] where Verdict(rawValue: UInt8(raw)) == nil {
                        throw Malformed(reason: "bad verdict", position: at)
                    }
                }
            }
            // Each annotation its own outcome.
            for a in 0..<annotationCount { e.outcomeOfAnnotation.append(UInt64(a)) }

            try readAddresses(&c, records: records)

            let conversationCount = try readConversationSources(&c, records: records)
            try readFields(&c, count: conversationCount, limits: [addresses.count, 1 << 16, 256, 1 << 16, 1 << 16, annotationCount + 1, stringCount],
                           from: 9)
        }
        let conversationCount = fields[8].count
        if let segment, segment.hasLost {
            try Self.requirePresent(e.annotationFields[0], in: segment.identityStarts, what: "identity")
            try Self.requirePresent(e.annotationFields[1], in: segment.identityStarts, what: "identity")
            // The outcomes' references as the annotations use them (an outcome no annotation
            // uses costs nothing).
            func used(_ k: Int) -> [UInt64] { e.outcomeOfAnnotation.map { e.annotationFields[k][Int($0)] } }
            try Self.requirePresent(used(2), in: segment.stringStarts, what: "string")
            for k in 4...7 { try Self.requirePresent(used(k), in: segment.traceStarts, what: "trace", plusOne: true) }
            try Self.requirePresent(fields[15], in: segment.stringStarts, what: "string")
        }
        let hasDomains = payloadVersion >= SegmentFormat.domainsVersion
        // What the dictionaries keep of the payload to build entries from: from version 3 only
        // the domain sets (every other table is the segment's), not the conversation and
        // annotation tables before them (copying those cost a pass over half of every block).
        let keptFrom = segment == nil ? 0 : c.position
        if hasDomains {
            let setCount = try c.index(below: c.remaining + 1)
            for _ in 0..<setCount {
                e.domainSetStarts.append(Int32(c.position - keptFrom))
                let names = try c.index(below: c.remaining + 1)
                for _ in 0..<names {
                    let name = try c.index(below: stringCount)
                    if let segment, segment.stringStarts[name] < 0 { throw Self.lost("string", name) }
                }
            }
            try readFields(&c, count: conversationCount, limits: [setCount + 1], from: 16)
        }
        // The conversations stay in their columns (`ConversationColumns`): a record is built
        // for a row the scan admits. Locals, as above (one retain per table, not per access).
        let annotationOf = fields[14], nodeOf = fields[15], domainsOf = fields[16]
        // Records only borrow annotation, node and domain names from their prepared record (the
        // scan sets the whole `flow`), so conversations with the same three share one
        // (`BlockDictionaries.number`). On demand, numbering waits for the rows asked for.
        if numberingOnDemand {
            conversationTemplate.removeAll(keepingCapacity: true)
            conversationTemplate.append(contentsOf: repeatElement(-1, count: conversationCount))
            e.templateKeys.removeAll(keepingCapacity: true)
            e.templateFirstConversation.removeAll(keepingCapacity: true)
            d.seal(e, checked: UnsafeRawBufferPointer(rebasing: c.base[keptFrom..<c.position]), segment: segment)
            d.deferNumbering(annotationOf: annotationOf, nodeOf: nodeOf, domainsOf: domainsOf, hasDomains: hasDomains,
                             annotationCount: annotationCount)
            for _ in 0..<(try c.index(below: min(c.remaining / 8, records) + 1)) { shapes.append(try c.u64()) }
            return
        }
        // The tables live in locals for the loop (no exclusivity or uniqueness checks per
        // access), then go back.
        var firstOfAnnotation = templateOfAnnotation, templateOf = conversationTemplate
        templateOfAnnotation = []
        conversationTemplate = []
        firstOfAnnotation.removeAll(keepingCapacity: true)
        firstOfAnnotation.append(contentsOf: repeatElement(-1, count: materialize ? annotationCount + 1 : 1))
        // Written through buffers sized for the worst case (a record per conversation), then
        // cut to the records numbered: as `BlockDictionaries.number`, without an append (and
        // its uniqueness and capacity checks) per conversation. Not refilled: the loop reads
        // no slot before writing it, so what the last block left can stay.
        Self.resize(&templateOf, to: conversationCount, filler: 0)
        var keys = e.templateKeys, firsts = e.templateFirstConversation
        (e.templateKeys, e.templateFirstConversation) = ([], [])
        Self.resize(&keys, to: conversationCount, filler: TemplateKey(annotation: 0, node: 0, domains: 0))
        Self.resize(&firsts, to: conversationCount, filler: 0)
        var numbered = 0
        keys.withUnsafeMutableBufferPointer { keys in
            firsts.withUnsafeMutableBufferPointer { firsts in
                templateOf.withUnsafeMutableBufferPointer { templateOf in
                    firstOfAnnotation.withUnsafeMutableBufferPointer { firstOfAnnotation in
                        for i in 0..<conversationCount {
                            let pair = materialize
                                ? TemplateKey(annotation: Int(annotationOf[i]), node: Int(nodeOf[i]), domains: hasDomains ? Int(domainsOf[i]) : 0)
                                : TemplateKey(annotation: 0, node: 0, domains: 0)
                            let first = Int(firstOfAnnotation[pair.annotation])
                            if first >= 0 {
                                if keys[first] == pair {
                                    templateOf[i] = Int32(first)
                                    continue
                                }
                                if let shared = templateOfPair[pair] {
                                    templateOf[i] = shared
                                    continue
                                }
                                templateOfPair[pair] = Int32(numbered)
                            } else {
                                firstOfAnnotation[pair.annotation] = Int32(numbered)
                            }
                            keys[numbered] = pair
                            firsts[numbered] = Int32(i)
                            templateOf[i] = Int32(numbered)
                            numbered += 1
                        }
                    }
                }
            }
        }
        keys.removeLast(conversationCount - numbered)
        firsts.removeLast(conversationCount - numbered)
        (e.templateKeys, e.templateFirstConversation) = (keys, firsts)
        templateOfAnnotation = firstOfAnnotation
        conversationTemplate = templateOf
        // Only what building an entry reads is kept (nothing when entries are never built).
        d.seal(e, checked: UnsafeRawBufferPointer(rebasing: c.base[keptFrom..<(materialize ? c.position : keptFrom)]), segment: segment)

        for _ in 0..<(try c.index(below: min(c.remaining / 8, records) + 1)) { shapes.append(try c.u64()) }
    }

    /// IPv4 addresses ascending as packed deltas, then IPv6 addresses as 16 bytes each, into
    /// `addresses`.
    mutating func readAddresses(_ c: inout ByteCursor, records: Int) throws {
        let v4Count = try c.index(below: min(c.remaining * 8, 2 * records) + 1)
        try PackedColumn.decode(&c, count: v4Count, into: &packed)
        var v4: UInt64 = 0
        for delta in packed {
            v4 = v4 &+ delta
            guard v4 <= UInt64(UInt32.max) else { throw Malformed(reason: "IPv4 address out of range", position: c.position) }
            addresses.append(IPAddress(ipv4: UInt32(v4)))
        }
        guard payloadVersion >= SegmentFormat.basedColumnsVersion else {
            for _ in 0..<(try c.index(below: min(c.remaining / 16, 2 * records) + 1)) {
                addresses.append(IPAddress(ipv6High: UInt64(bigEndian: try c.u64()), low: UInt64(bigEndian: try c.u64())))
            }
            return
        }
        // Version 4: each the count of leading bytes it shares with the one before (the first
        // with the all-zero address), then the rest; every address takes at least two bytes.
        var high: UInt64 = 0, low: UInt64 = 0
        for _ in 0..<(try c.index(below: min(c.remaining / 2, 2 * records) + 1)) {
            let at = c.position
            let shared = Int(try c.u8())
            guard shared < 16 else { throw Malformed(reason: "IPv6 address shares \(shared) bytes with the one before (at most 15)", position: at) }
            for k in shared..<16 {
                let byte = UInt64(try c.u8()), shift = UInt64(56 - 8 * (k % 8))
                if k < 8 {
                    high = high & ~(0xFF << shift) | byte << shift
                } else {
                    low = low & ~(0xFF << shift) | byte << shift
                }
            }
            addresses.append(IPAddress(ipv6High: high, low: low))
        }
    }

    /// Conversations by source then destination: their count, and the sources (deltas) into
    /// `fields[8]`. Staging from here on: 8 source, 9 destination, 10 port, 11 protocol, 12 vlan
    /// + 1, 13 inner vlan + 1, 14 annotation + 1, 15 node, 16 domain set + 1.
    mutating func readConversationSources(_ c: inout ByteCursor, records: Int) throws -> Int {
        let conversationCount = try c.index(below: min(c.remaining * 8, records) + 1)
        try PackedColumn.decode(&c, count: conversationCount, into: &packed)
        // Filled in a local through its buffer (no uniqueness check per value), then put back;
        // the range is checked once after the loop. A conversation whose delta is not 0 (or
        // the first) starts a source: counted here for version 4's destinations.
        var sources = fields[8]
        fields[8] = []
        Self.resize(&sources, to: conversationCount, filler: 0)
        let limit = UInt64(addresses.count)
        var starting = 0
        let inRange = sources.withUnsafeMutableBufferPointer { out in
            packed.withUnsafeBufferPointer { deltas in
                var source: UInt64 = 0
                var outOfRange = false
                for i in 0..<conversationCount {
                    let delta = deltas[i]
                    source &+= delta
                    outOfRange = outOfRange || delta >= limit || source >= limit
                    out[i] = source
                    starting &+= i == 0 || delta != 0 ? 1 : 0
                }
                return !outOfRange
            }
        }
        fields[8] = sources
        guard inRange else { throw Malformed(reason: "address reference out of range", position: c.position) }
        sourcesStarted = starting
        return conversationCount
    }

    /// Why a reference is out of range. From version 3 the strings, label sets, identities and
    /// traces are the segment's: a block may refer to entries of a record that was lost.
    var outOfRange: String {
        payloadVersion >= SegmentFormat.segmentDictionaryVersion
            ? "block uses a dictionary entry past those its segment's dictionary records hold (lost with a damaged dictionary record, or never written)"
            : "dictionary reference out of range"
    }

    /// Checks that every value of `numbers` (minus one with `plusOne`, where 0 means none)
    /// names an entry the segment's dictionary records still hold.
    private static func requirePresent(_ numbers: [UInt64], in starts: [Int32], what: String, plusOne: Bool = false) throws {
        for number in numbers {
            if plusOne && number == 0 { continue }
            let n = Int(truncatingIfNeeded: plusOne ? number - 1 : number)
            if starts[n] < 0 { throw lost(what, n) }
        }
    }

    private static func lost(_ what: String, _ n: Int) -> Malformed {
        Malformed(reason: "block uses \(what) \(n) of its segment's dictionary, lost with a damaged dictionary record", position: nil)
    }

    /// Reads `limits.count` packed fields of `count` values each into `fields[first…]`, each
    /// value checked against its limit.
    /// `segmentWide`: the field (by its index in `limits`) names the segment's strings.
    mutating func readFields(_ c: inout ByteCursor, count: Int, limits: [Int], from first: Int = 0, segmentWide: Int? = nil) throws {
        for (k, limit) in limits.enumerated() {
            // The packed width alone mostly keeps the references in range: no pass over them.
            let bound = try PackedColumn.decode(&c, count: count, into: &fields[first + k])
            guard count == 0 || bound < UInt64(limit) || fields[first + k].max()! < UInt64(limit) else {
                throw Malformed(reason: k == segmentWide ? outOfRange : "dictionary reference out of range", position: c.position)
            }
        }
    }
}
