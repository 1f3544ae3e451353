import FlowCore

/// A block its encoder has numbered (`BlockEncoder.close`): its content and what the encoder
/// made of it in order, and nothing of the encoder's own, so it is laid out
/// (`layOut`) on any thread while the encoder numbers the next block.
struct NumberedBlock {
    var content: BlockContent
    let formatVersion: UInt16
    /// Before version 3: the block's own dictionaries (strings, label sets, identities, traces,
    /// each counted), which its payload holds.
    var inlineDictionaries: [UInt8] = []
    /// From version 3: the entries new to the segment, for the dictionary record written before
    /// the block.
    var dictionary = DictionaryEntries(range: DictionaryRange(from: DictionaryMarks(), to: DictionaryMarks()))
    /// The digest's tokens that name catalog values, and the annotations' verdicts.
    var catalogDigest = CatalogDigestParts()

    init(content: BlockContent, formatVersion: UInt16) {
        self.content = content
        self.formatVersion = formatVersion
    }

    /// Records in the block.
    var flows: Int { content.count }

    /// At most how many bytes `layOut` writes, from the block's counts alone (before it is laid
    /// out): the encoding queue places the next block in a segment by it while this one is
    /// still being laid out (`BlockEncodingQueue`). Generous, not tight; what it relies on:
    ///
    /// - a packed column of n values takes at most 10n + 5 bytes: 1 width byte, a varint count
    ///   of exceptions, and the width `PackedColumn` picks is the cheapest by its estimate, which
    ///   is at most the 64-bit width's 8n bytes, plus at most 1.5 bytes per exception the
    ///   estimate leaves out (an index delta under 2^21 takes at most 3 bytes, not 1.5);
    /// - a based or conditioned column adds at most 11 bytes (a varint base, a varint table
    ///   length) to its plain packed form, which it keeps unless the other is smaller;
    /// - per record the nine record columns; per conversation at most 13 packed columns
    ///   (addresses, ports, VLANs, outcomes or annotation codes, node, domains, each predicted
    ///   column's two halves); per annotation at most 12 (outcomes, overrides, or before
    ///   version 3 its eight fields); per address an IPv6 address's 17 bytes, its delta and its
    ///   identity; per domain name and set a varint; per shape 8 bytes; the counts and column
    ///   lengths as varints.
    var payloadBound: Int {
        let c = content
        var domainNames = 0
        for names in c.domainSetStrings { domainNames += names.count }
        let records = 9 * (10 * c.count + 16)
        let conversations = 13 * (10 * c.conversations.count + 5)
        let annotations = 12 * (10 * c.annotations.count + 5)
        let addresses = 37 * c.addresses.count + 40
        let rest = 10 * (c.domainSetStrings.count + domainNames + 1) + 8 * c.shapes.count + 1024
        return inlineDictionaries.count + records + conversations + annotations + addresses + rest
    }

    /// At most how many bytes the block takes in its segment once compressed, with `copies` of
    /// its own dictionary record (LZ4's bound on each payload, headers).
    func storedBound(dictionaryCopies copies: Int) -> Int {
        func compressedBound(_ size: Int) -> Int { size + size / 255 + 16 }   // LZ4_COMPRESSBOUND
        var total = SegmentFormat.blockHeaderSize + compressedBound(payloadBound)
        if !dictionary.isEmpty {
            let record = dictionary.strings.bytes.count + dictionary.labelSets.bytes.count + dictionary.identities.bytes.count
                + dictionary.traces.bytes.count
            total += copies * (SegmentFormat.dictionaryHeaderSize + compressedBound(record))
        }
        return total
    }

    /// Writes the block's raw payload to `out` and returns its digest. Reads only the block
    /// (and `layout`'s scratch), so blocks are laid out on any thread, several at once.
    func layOut(with layout: inout BlockLayout, into out: inout ByteSink) -> BlockDigest {
        precondition(flows > 0, "layOut() of an empty block")
        let starts = content.starts, ends = content.ends
        let exponent = BlockEncoder.timeUnitExponent(starts: starts, ends: ends)
        var unit: UInt64 = 1
        for _ in 0..<exponent { unit *= 10 }
        let baseEnd = ends[0] / unit
        // Addresses and conversations are written sorted (addresses by value, conversations by
        // source then destination), so both tables delta-code to a few bits per entry; the
        // numbers records and conversations use are remapped to the sorted order.
        let addressList = content.addresses.keys, conversationList = content.conversations.keys
        // Keys of one word, the first-seen number in the low 21 bits (a block holds at most
        // 2^20 records, so 2^21 addresses), sorted by their digits (`RadixSort`).
        precondition(addressList.count <= 1 << 21 && conversationList.count <= 1 << 21, "block too large to sort")
        let addressOrder = BlockEncoder.sortedOrder(of: addressList)
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
        // Column by column, each written in place into the lane's kept column (`BlockLayout.fill`):
        // appending row by row checked the nested array's uniqueness and capacity on every
        // value, and a new array per column faulted 2 MB of fresh pages in every block.
        let n = flows
        let rowConversations = content.conversationColumn
        layout.fill(0, count: n) { UInt64(conversationNumber[Int(rowConversations[$0])]) }
        var previousEnd = baseEnd
        layout.fill(1, count: n) { i in
            let end = ends[i] / unit
            defer { previousEnd = end }
            return BlockEncoder.zigzag(end &- previousEnd)
        }
        layout.fill(2, count: n) { i in
            let start = starts[i] / unit, end = ends[i] / unit
            return based ? end &- start : BlockEncoder.zigzag(end &- start)
        }
        let sourcePorts = content.sourcePorts, counters = content.counters, shapeColumn = content.shapeColumn
        layout.fill(3, count: n) { UInt64(sourcePorts[$0]) }
        layout.fill(4, count: n) { counters[$0].0 }
        layout.fill(5, count: n) { counters[$0].1 }
        layout.fill(6, count: n) { counters[$0].2 }
        layout.fill(7, count: n) { counters[$0].3 }
        layout.fill(8, count: n) { UInt64(shapeColumn[$0]) }
        let conditioned = formatVersion >= SegmentFormat.conditionedColumnsVersion
        for k in layout.scratch.indices {
            layout.columns[k].bytes.removeAll(keepingCapacity: true)
            if conditioned, let key = BlockEncoder.conditioning[k] {
                ConditionedColumn.encode(layout.scratch[k], keys: layout.scratch[key], into: &layout.columns[k],
                                         scratch: &layout.baseScratch, trial: &layout.trialColumn, residuals: &layout.residuals)
            } else if based {
                BasedColumn.encode(layout.scratch[k], into: &layout.columns[k], scratch: &layout.baseScratch)
            } else {
                PackedColumn.encode(layout.scratch[k], into: &layout.columns[k])
            }
        }

        out.u8(UInt8(exponent))
        out.varint(flows)
        out.varint(baseEnd)
        // Before version 3 the block's own dictionaries (made in order, by `BlockEncoder.close`).
        out.append(inlineDictionaries)
        let sorted = conversationOrder.map { conversationList[$0] }
        let sortedAddresses = addressOrder.map { addressList[$0] }
        if formatVersion >= SegmentFormat.segmentDictionaryVersion {
            writeFoldedTables(into: &out, sortedAddresses: sortedAddresses, addressNumber: addressNumber, sorted: sorted)
        } else {
            // Annotations and conversations field by field: alike values side by side compress better.
            let annotationParts = content.annotations.keys
            out.varint(annotationParts.count)
            pack(annotationParts.map { UInt64($0.source) }, into: &out)
            pack(annotationParts.map { UInt64($0.destination) }, into: &out)
            pack(annotationParts.map { UInt64($0.service) }, into: &out)
            pack(annotationParts.map { UInt64($0.verdict.rawValue) }, into: &out)
            pack(annotationParts.map { UInt64($0.egress) }, into: &out)
            pack(annotationParts.map { UInt64($0.ingress) }, into: &out)
            pack(annotationParts.map { UInt64($0.pendingEgress) }, into: &out)
            pack(annotationParts.map { UInt64($0.pendingIngress) }, into: &out)
            NumberedBlock.write(addresses: sortedAddresses, prefixCoded: false, into: &out)
            writeConversationAddresses(sorted, addressNumber: addressNumber, into: &out)
            pack(sorted.map { UInt64($0.route.destinationPort) }, into: &out)
            pack(sorted.map { UInt64($0.route.ipProtocol) }, into: &out)
            // + 1 so the common "no VLAN" (0xFFFF) packs to zero bits.
            pack(sorted.map { UInt64($0.route.vlan &+ 1) }, into: &out)
            pack(sorted.map { UInt64($0.route.innerVLAN &+ 1) }, into: &out)
            pack(sorted.map { UInt64($0.annotation) }, into: &out)
            pack(sorted.map { UInt64($0.route.node) }, into: &out)
        }
        out.varint(content.domainSetStrings.count)
        for names in content.domainSetStrings {
            out.varint(names.count)
            for name in names { out.varint(name) }
        }
        pack(sorted.map { UInt64($0.domains) }, into: &out)
        out.varint(content.shapes.count)
        for shape in content.shapes.keys { out.u64(shape) }
        for column in layout.columns { out.varint(column.bytes.count) }
        for column in layout.columns { out.append(column.bytes) }
        var digest = content.digestSummary.start()
        includeDistinctValues(in: &digest)
        digest.seal()
        return digest
    }

    /// One dictionary field, packed (dictionary fields are written field by field).
    func pack(_ values: [UInt64], into out: inout ByteSink) {
        PackedColumn.encode(values, into: &out)
    }
}

/// What laying blocks out keeps from one block to the next: the record columns' values and
/// their packed bytes. One per thread that lays blocks out.
struct BlockLayout {
    var columns = [ByteSink](repeating: ByteSink(), count: BlockEncoder.columnCount)
    /// The columns' values before packing.
    var scratch = [[UInt64]](repeating: [], count: BlockEncoder.columnCount)
    /// Values less their base, and the sample a base is chosen from (`BasedColumn`).
    var baseScratch: [UInt64] = []
    /// A conditioned column's predicted form, before it is known to be the smaller.
    var trialColumn = ByteSink()
    /// The raw payload's size of the block before, to reserve the next one's at once.
    var lastRawSize = 0
    /// The raw payload's storage, kept from block to block: lent to one block at a time
    /// (`lendPayload`) and given back once the block is compressed (`keepPayload`), so a lane's
    /// blocks write their payloads into pages faulted in once.
    private var payloadStorage: [UInt8] = []
    /// Conditioned columns' residuals before packing (`ConditionedColumn`).
    var residuals: [UInt64] = []

    /// An empty sink in the kept payload storage (with room for a block as large as the last).
    mutating func lendPayload() -> ByteSink {
        var sink = ByteSink()
        swap(&sink.bytes, &payloadStorage)
        sink.bytes.removeAll(keepingCapacity: true)
        sink.bytes.reserveCapacity(lastRawSize)
        return sink
    }

    /// Takes a payload's storage back for the next block; call once no other copy of it is
    /// kept (the compressed block no longer needs it).
    mutating func keepPayload(_ bytes: [UInt8]) {
        lastRawSize = bytes.count
        payloadStorage = bytes
    }

    /// Makes record column `k` the `count` values `value(0)`, `value(1)`, … in its own storage,
    /// kept from block to block: only a block longer than any before it allocates.
    @inline(__always)
    mutating func fill(_ k: Int, count: Int, _ value: (Int) -> UInt64) {
        let had = scratch[k].count
        if had > count {
            scratch[k].removeLast(had - count)
        } else if had < count {
            scratch[k].append(contentsOf: repeatElement(0, count: count - had))
        }
        scratch[k].withUnsafeMutableBufferPointer { column in
            for i in 0..<count { column[i] = value(i) }
        }
    }
}
