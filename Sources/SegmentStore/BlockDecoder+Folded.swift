import FlowCore

/// Version 3's annotation tables, folded into the addresses and conversations (layout in
/// `SegmentFormat`), read back into the per-annotation fields and per-conversation annotation
/// numbers a version 2 block holds, so everything after reads both alike.
extension BlockDecoder {
    /// Version 4's destinations into `fields[9]`: those of the conversations that start a
    /// source (the first, and each whose source differs from the one before), then the others
    /// as deltas from the conversation before. Every number is checked.
    private mutating func readGroupedDestinations(_ c: inout ByteCursor, count: Int) throws {
        // A conversation starts a source where its source differs from the one before (the
        // loop below tests that without a branch: sources come in runs of unpredictable length).
        let starting = sourcesStarted
        let limit = UInt64(addresses.count)
        let bound = try PackedColumn.decode(&c, count: starting, into: &packed)
        guard starting == 0 || bound < limit || packed.max()! < limit else {
            throw Malformed(reason: "address reference out of range", position: c.position)
        }
        try PackedColumn.decode(&c, count: count - starting, into: &folded[13])
        // One spare value past each (read, never used, by the last conversation of the other kind).
        packed.append(0)
        folded[13].append(0)
        // Filled in a local through buffers (no exclusivity or uniqueness checks per value).
        var destinations = fields[9]
        fields[9] = []
        Self.resize(&destinations, to: count, filler: 0)
        let inRange = destinations.withUnsafeMutableBufferPointer { out in
            fields[8].withUnsafeBufferPointer { sources in
                packed.withUnsafeBufferPointer { starts in
                    folded[13].withUnsafeBufferPointer { deltas in
                        var nextStart = 0, nextDelta = 0
                        var previous: UInt64 = 0, previousSource = UInt64.max
                        var outOfRange = false
                        for i in 0..<count {
                            let source = sources[i]
                            let startsSource = source != previousSource  // (no source is UInt64.max)
                            let start = starts[nextStart], delta = deltas[nextDelta]
                            // A delta must keep the destination below the limit (`previous`
                            // is below it unless an error is already noted).
                            outOfRange = outOfRange || (!startsSource && delta >= limit &- previous)
                            let value = startsSource ? start : previous &+ delta
                            out[i] = value
                            nextStart &+= startsSource ? 1 : 0
                            nextDelta &+= startsSource ? 0 : 1
                            previous = value
                            previousSource = source
                        }
                        return !outOfRange
                    }
                }
            }
        }
        packed.removeLast()
        folded[13].removeLast()
        fields[9] = destinations
        guard inRange else { throw Malformed(reason: "address reference out of range", position: c.position) }
    }

    /// Version 4's (protocol, port) number per conversation into `fields[10]`: a bit per
    /// conversation (1 = the number of the conversation before it to the same destination),
    /// then the numbers of the others. Every number is checked.
    private mutating func readPredictedServices(_ c: inout ByteCursor, count: Int, pairs: Int) throws {
        let keys = fields[9]
        try Self.readPredicted(&c, count: count, into: &fields[10], others: &packed, keys: keys, keyCount: addresses.count,
                               limit: pairs, last: &folded[13], names: PredictedColumnNames(
                                   flag: "service repeat flag other than 0 or 1",
                                   range: "dictionary reference out of range",
                                   repeated: "conversation repeats the service of an earlier one to its destination, and there is none"))
    }

    /// The words a predicted column's errors use.
    private struct PredictedColumnNames {
        let flag: String, range: String, repeated: String
    }

    /// A version 4 predicted column into `values`: a repeat flag per entry (1 = the value last
    /// taken for the entry's key in `keys`), then the values of the others, each below `limit`.
    /// `others` and `last` are scratch.
    private static func readPredicted(_ c: inout ByteCursor, count: Int, into values: inout [UInt64], others: inout [UInt64],
                                      keys: [UInt64], keyCount: Int, limit: Int, last: inout [UInt64],
                                      names: PredictedColumnNames) throws {
        let repeatsBound = try PackedColumn.decode(&c, count: count, into: &values)
        guard count == 0 || repeatsBound <= 1 || values.max()! <= 1 else {
            throw Malformed(reason: names.flag, position: c.position)
        }
        var flagged = 0
        values.withUnsafeBufferPointer { flags in
            for flag in flags { flagged &+= Int(truncatingIfNeeded: flag) }
        }
        let otherCount = count - flagged
        let bound = try PackedColumn.decode(&c, count: otherCount, into: &others)
        guard otherCount == 0 || bound < UInt64(limit) || others.max()! < UInt64(limit) else {
            throw Malformed(reason: names.range, position: c.position)
        }
        others.append(0)  // the spare `resolveRepeats` reads
        defer { others.removeLast() }
        guard resolveRepeats(&values, keys: keys, others: others, last: &last, keyCount: keyCount) else {
            throw Malformed(reason: names.repeated, position: nil)
        }
    }

    /// Turns repeat flags into values: where `values[i]` is 1, the value last taken for key
    /// `keys[i]` (each below `keyCount`), where 0 the next of `others` (which ends with one spare
    /// value, never taken); false when a flag finds no earlier value for its key. `last` is scratch.
    static func resolveRepeats(_ values: inout [UInt64], keys: [UInt64], others: [UInt64], last: inout [UInt64],
                                       keyCount: Int) -> Bool {
        last.removeAll(keepingCapacity: true)
        last.append(contentsOf: repeatElement(0, count: keyCount))
        // Flags come in no predictable order, so the loop has no branch on them: both candidate
        // values are loaded (`others` ends with a spare value, for a repeat after the last
        // other) and one is kept.
        return values.withUnsafeMutableBufferPointer { values in
            last.withUnsafeMutableBufferPointer { last in
                keys.withUnsafeBufferPointer { keys in
                    others.withUnsafeBufferPointer { others in
                        var next = 0
                        var missing = false
                        for i in values.indices {
                            let key = Int(truncatingIfNeeded: keys[i])
                            let repeats = values[i] == 1
                            let remembered = last[key], other = others[next]
                            missing = missing || (repeats && remembered == 0)
                            let value = repeats ? remembered &- 1 : other
                            next &+= repeats ? 0 : 1
                            values[i] = value
                            last[key] = value &+ 1
                        }
                        return !missing
                    }
                }
            }
        }
    }

    /// Version 4's outcome per annotation into `folded[7]`: a bit per annotation (1 = the
    /// outcome of the annotation before it whose first conversation has the same destination
    /// address, `folded[12]`), then the outcomes of the others.
    private mutating func readPredictedOutcomes(_ c: inout ByteCursor, annotations: Int, outcomes: Int) throws {
        let keys = folded[12]
        // `folded[13]` is the scratch, taken out so that two of `folded`'s columns are not
        // both passed inout.
        var last = folded[13]
        folded[13] = []
        defer { folded[13] = last }
        try Self.readPredicted(&c, count: annotations, into: &folded[7], others: &packed, keys: keys, keyCount: addresses.count,
                               limit: outcomes, last: &last, names: PredictedColumnNames(
                                   flag: "outcome repeat flag other than 0 or 1",
                                   range: "annotation outcome out of range",
                                   repeated: "annotation repeats the outcome of an earlier one to its destination, and there is none"))
    }

    /// Version 5's outcome + 1 per conversation (0 = no annotation), predicted from the last
    /// conversation to the same destination: each annotated conversation is an annotation of
    /// its own, so the annotation codes (`fields[14]`) become 1 for those and 0 for the others,
    /// and the annotations' outcomes (`folded[7]`) are those of the annotated conversations.
    private mutating func readConversationOutcomes(_ c: inout ByteCursor, count: Int, outcomes: Int) throws {
        let keys = fields[9]
        var last = Self.take(&folded[13])
        defer { folded[13] = last }
        try Self.readPredicted(&c, count: count, into: &fields[14], others: &packed, keys: keys, keyCount: addresses.count,
                               limit: outcomes + 1, last: &last, names: PredictedColumnNames(
                                   flag: "outcome repeat flag other than 0 or 1",
                                   range: "conversation outcome out of range",
                                   repeated: "conversation repeats the outcome of an earlier one to its destination, and there is none"))
        var codes = Self.take(&fields[14]), annotationOutcomes = Self.take(&folded[7])
        Self.resize(&annotationOutcomes, to: count, filler: 0)
        let annotations = codes.withUnsafeMutableBufferPointer { codes in
            annotationOutcomes.withUnsafeMutableBufferPointer { outcomes in
                var n = 0
                for i in 0..<codes.count where codes[i] > 0 {
                    outcomes[n] = codes[i] - 1
                    codes[i] = 1
                    n += 1
                }
                return n
            }
        }
        annotationOutcomes.removeLast(count - annotations)
        (fields[14], folded[7]) = (codes, annotationOutcomes)
    }

    /// Reads outcomes, ports, addresses, address identities, conversations and annotation
    /// columns; fills `addresses`, `fields[8...15]` (ports as ports, annotation + 1) and the
    /// annotation fields of `e`; returns the annotation count. Every number is checked.
    mutating func readFoldedTables(_ c: inout ByteCursor, records: Int, entries e: inout BlockDictionaries.Entries,
                                   identityCount: Int, stringCount: Int, traceCount: Int) throws -> Int {
        // Outcomes: service, verdict, then egress, ingress, pending egress, pending ingress
        // trace + 1. Each annotation has one, so the records bound their count.
        let outcomeCount = try c.index(below: records + 1)
        let outcomeLimits = [stringCount, 256, traceCount + 1, traceCount + 1, traceCount + 1, traceCount + 1]
        let sortedOutcomes = payloadVersion >= SegmentFormat.basedColumnsVersion
        for k in 0..<6 {
            let at = c.position
            var bound = try PackedColumn.decode(&c, count: outcomeCount, into: &folded[k])
            if k == 2 && sortedOutcomes {
                // Version 4: the table is sorted by egress trace, written as deltas.
                var egress: UInt64 = 0
                for i in 0..<outcomeCount {
                    let delta = folded[2][i]
                    guard delta < UInt64(outcomeLimits[2]) - egress else { throw Malformed(reason: outOfRange, position: c.position) }
                    egress += delta
                    folded[2][i] = egress
                }
                bound = egress
            }
            guard outcomeCount == 0 || bound < UInt64(outcomeLimits[k]) || folded[k].max()! < UInt64(outcomeLimits[k]) else {
                throw Malformed(reason: k == 1 ? "bad verdict" : outOfRange, position: c.position)
            }
            if k == 1 {
                for raw in folded[1] where Verdict(rawValue: UInt8(raw)) == nil { throw Malformed(reason: "bad verdict", position: at) }
            }
        }

        // (Protocol, destination port) pairs as protocol << 16 | port, ascending, as deltas.
        let pairLimit: UInt64 = 1 << 24
        let pairCount = try c.index(below: records + 1)
        try PackedColumn.decode(&c, count: pairCount, into: &folded[10])
        var pair: UInt64 = 0
        for i in 0..<pairCount {
            let delta = folded[10][i]
            guard delta < pairLimit else { throw Malformed(reason: "protocol and port out of range", position: c.position) }
            pair += delta
            guard pair < pairLimit, i == 0 || delta > 0 else {
                throw Malformed(reason: "protocol and port table not ascending", position: c.position)
            }
            folded[10][i] = pair
        }

        try readAddresses(&c, records: records)
        // Per address, the identity + 1 its annotations give it (0: none).
        let identitiesAt = c.position
        let identityBound = try PackedColumn.decode(&c, count: addresses.count, into: &folded[6])
        guard addresses.isEmpty || identityBound <= UInt64(identityCount) || folded[6].max()! <= UInt64(identityCount) else {
            throw Malformed(reason: outOfRange, position: identitiesAt)
        }

        let conversationCount = try readConversationSources(&c, records: records)
        // 9 destination, 10 (protocol, port) number, then 12 vlan + 1, 13 inner vlan + 1, 14 the
        // annotation code, 15 node; 10 and 11 become port and protocol below.
        if payloadVersion >= SegmentFormat.basedColumnsVersion {
            try readGroupedDestinations(&c, count: conversationCount)
            try readPredictedServices(&c, count: conversationCount, pairs: pairCount)
        } else {
            try readFields(&c, count: conversationCount, limits: [addresses.count, pairCount], from: 9)
        }
        let perConversation = payloadVersion >= SegmentFormat.conversationOutcomesVersion
        if perConversation {
            try readFields(&c, count: conversationCount, limits: [1 << 16, 1 << 16], from: 12)
            try readConversationOutcomes(&c, count: conversationCount, outcomes: outcomeCount)
            try readFields(&c, count: conversationCount, limits: [stringCount], from: 15, segmentWide: 0)
        } else {
            try readFields(&c, count: conversationCount, limits: [1 << 16, 1 << 16, Int.max, stringCount], from: 12, segmentWide: 3)
        }
        // Annotation codes to annotation + 1: 1 = the next new annotation (its identities are
        // those of this conversation's addresses, unless overridden), k ≥ 2 = the annotation
        // k − 1 before the next new one.
        let annotationCount = try unfoldConversations(count: conversationCount, pairs: folded[10])

        // Per annotation: outcome (version 5: read with the conversations), source and
        // destination identity + 1 where they differ from their address's (0: the address's).
        let annotationLimits = [outcomeCount, identityCount + 1, identityCount + 1]
        let predicted = payloadVersion >= SegmentFormat.basedColumnsVersion
        if predicted && !perConversation { try readPredictedOutcomes(&c, annotations: annotationCount, outcomes: outcomeCount) }
        for k in (predicted ? 1 : 0)..<3 {
            let bound = try PackedColumn.decode(&c, count: annotationCount, into: &folded[7 + k])
            guard annotationCount == 0 || bound < UInt64(annotationLimits[k]) || folded[7 + k].max()! < UInt64(annotationLimits[k]) else {
                throw Malformed(reason: k == 0 ? "annotation outcome out of range" : outOfRange, position: c.position)
            }
        }
        // Column by column (each a pass over locals, no uniqueness check per value); every
        // number read below was checked against its table's size above.
        try Self.resolveIdentities(own: folded[8], addressIdentity: folded[6], addressOf: folded[11], into: &e.annotationFields[0])
        try Self.resolveIdentities(own: folded[9], addressIdentity: folded[6], addressOf: folded[12], into: &e.annotationFields[1])
        let shared = perConversation ? shareAnnotations(&e, count: annotationCount, identityCount: identityCount) : annotationCount
        // The outcome table and each annotation's outcome number go to the entries as they are
        // (swapped: both sides' arrays keep their capacity for the next block).
        for k in 0..<6 { swap(&folded[k], &e.annotationFields[2 + k]) }
        swap(&folded[7], &e.outcomeOfAnnotation)
        return shared
    }

    /// Version 5: annotated conversations with the same two identities and outcome share one
    /// annotation, as they would in a version 4 block (numbered in the order of their first
    /// conversation): the format stores an outcome per conversation, but every prepared record,
    /// and what a scan does once per annotation, is then paid once per distinct one. Compacts
    /// the identities (`e.annotationFields[0...1]`) and outcomes (`folded[7]`) and renumbers the
    /// conversations' annotation + 1 (`fields[14]`); returns the count (`DistinctTriples`: at
    /// most one probe of an open-addressed table per annotated conversation, no hashing of
    /// anything but numbers).
    private mutating func shareAnnotations(_ e: inout BlockDictionaries.Entries, count: Int, identityCount: Int) -> Int {
        // (Source, destination, outcome) packed in one word for the hash: 22, 22 and 20 bits
        // (outcomes are fewer than a block's records, at most 2^20). A segment with more
        // identities keeps an annotation per conversation, which reads the same.
        guard count > 1, identityCount < 1 << 22 else { return count }
        var renumber = Self.take(&folded[13])
        var sources = Self.take(&e.annotationFields[0]), destinations = Self.take(&e.annotationFields[1])
        var outcomes = Self.take(&folded[7])
        let distinct = annotationTriples.compact(sources: &sources, destinations: &destinations, outcomes: &outcomes, count: count,
                                                 renumber: &renumber)
        sources.removeLast(count - distinct)
        destinations.removeLast(count - distinct)
        outcomes.removeLast(count - distinct)
        fields[14].withUnsafeMutableBufferPointer { codes in
            renumber.withUnsafeBufferPointer { renumber in
                for i in 0..<codes.count where codes[i] > 0 { codes[i] = renumber[Int(truncatingIfNeeded: codes[i] - 1)] + 1 }
            }
        }
        (e.annotationFields[0], e.annotationFields[1], folded[7], folded[13]) = (sources, destinations, outcomes, renumber)
        return distinct
    }

    /// Turns the conversations' (protocol, port) numbers into ports (`fields[10]`) and protocols
    /// (`fields[11]`), and their annotation codes (`fields[14]`) into annotation + 1, noting each
    /// new annotation's first source and destination (`folded[11]`, `folded[12]`); returns the
    /// number of annotations.
    private mutating func unfoldConversations(count: Int, pairs: [UInt64]) throws -> Int {
        var ports = Self.take(&fields[10]), protocols = Self.take(&fields[11]), codes = Self.take(&fields[14])
        var firstSources = Self.take(&folded[11]), firstDestinations = Self.take(&folded[12])
        Self.resize(&protocols, to: count, filler: 0)
        Self.resize(&firstSources, to: count, filler: 0)
        Self.resize(&firstDestinations, to: count, filler: 0)
        let sources = fields[8], destinations = fields[9]
        var annotationCount = 0
        try pairs.withUnsafeBufferPointer { pairs in
            try sources.withUnsafeBufferPointer { sources in
                try destinations.withUnsafeBufferPointer { destinations in
                    try ports.withUnsafeMutableBufferPointer { ports in
                        try protocols.withUnsafeMutableBufferPointer { protocols in
                            try codes.withUnsafeMutableBufferPointer { codes in
                                try firstSources.withUnsafeMutableBufferPointer { firstSources in
                                    try firstDestinations.withUnsafeMutableBufferPointer { firstDestinations in
                                        // Without a branch on the code (new and earlier
                                        // annotations come mixed): a new one's first addresses
                                        // are written at the next slot either way and kept only
                                        // when the count moves past it.
                                        var before: UInt64 = 0
                                        var tooFarBack = false
                                        for i in 0..<count {
                                            let pair = pairs[Int(truncatingIfNeeded: ports[i])]
                                            ports[i] = pair & 0xFFFF
                                            protocols[i] = pair >> 16
                                            let code = codes[i]
                                            let slot = Int(truncatingIfNeeded: before)
                                            firstSources[slot] = sources[i]
                                            firstDestinations[slot] = destinations[i]
                                            // 1 (new): before + 1; k ≥ 2: before − (k − 1) + 1.
                                            tooFarBack = tooFarBack || code > before &+ 1
                                            codes[i] = code == 0 ? 0 : before &+ 2 &- code
                                            before &+= code == 1 ? 1 : 0
                                        }
                                        guard !tooFarBack else {
                                            throw Malformed(reason: "conversation refers to an annotation before the block's first", position: nil)
                                        }
                                        annotationCount = Int(truncatingIfNeeded: before)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        firstSources.removeLast(count - annotationCount)
        firstDestinations.removeLast(count - annotationCount)
        (fields[10], fields[11], fields[14]) = (ports, protocols, codes)
        (folded[11], folded[12]) = (firstSources, firstDestinations)
        return annotationCount
    }

    /// Per annotation, its identity: its own + 1 where given (`own`), else that of the address
    /// (`addressOf`) its first conversation has (`addressIdentity`, + 1); `out` gets the number.
    private static func resolveIdentities(own: [UInt64], addressIdentity: [UInt64], addressOf: [UInt64],
                                          into out: inout [UInt64]) throws {
        resize(&out, to: own.count, filler: 0)
        try own.withUnsafeBufferPointer { own in
            try addressIdentity.withUnsafeBufferPointer { addressIdentity in
                try addressOf.withUnsafeBufferPointer { addressOf in
                    try out.withUnsafeMutableBufferPointer { out in
                        for a in 0..<own.count {
                            let identity = own[a] != 0 ? own[a] : addressIdentity[Int(truncatingIfNeeded: addressOf[a])]
                            guard identity != 0 else {
                                throw Malformed(reason: "annotation without an identity (its address has none and none is given)", position: nil)
                            }
                            out[a] = identity - 1
                        }
                    }
                }
            }
        }
    }

    /// An array moved out of its place (left empty), so it is uniquely referenced while filled.
    @inline(__always)
    private static func take(_ array: inout [UInt64]) -> [UInt64] {
        var taken: [UInt64] = []
        swap(&taken, &array)
        return taken
    }
}
