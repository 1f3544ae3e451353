import FlowCore

/// One decoded block as a row scan consumes it: the per-record fields column by column (each
/// row's values at the same index), and per conversation the fields its rows share.
///
/// Rows are not built as `FlowRecord`s by the decoder: the inlined scan loop builds one only
/// for a row the visitor admits (`StoreVisitor.admits`), after a filter has tested the
/// conversation's fields once and the row's counters in their columns. Only rows inside the
/// scan's time range are kept; row numbers are positions among those.
public struct BlockRows {
    /// Rows kept (inside the scan's time range).
    @usableFromInline var count = 0
    /// Per row: conversation number, source port, counters, start and end (ns), shape.
    @usableFromInline var conversationOfRow: [UInt64] = []
    @usableFromInline var sourcePorts: [UInt64] = []
    @usableFromInline var packetsOut: [UInt64] = []
    @usableFromInline var bytesOut: [UInt64] = []
    @usableFromInline var packetsIn: [UInt64] = []
    @usableFromInline var bytesIn: [UInt64] = []
    @usableFromInline var starts: [UInt64] = []
    @usableFromInline var ends: [UInt64] = []
    /// Per row, its shape (TCP flags, status, ICMP type and code: `BlockEncoder.shape`).
    @usableFromInline var shapes: [UInt64] = []
    /// Per conversation, the fields its rows share (addresses, destination port, protocol,
    /// VLANs), column by column.
    @usableFromInline var conversations = ConversationColumns()
    /// Per conversation, the number of its prepared record.
    @usableFromInline var templateOfConversation: [Int32] = []
    /// Per distinct (annotation, node, domains) of the block, where its record (with them
    /// filled in) is in `templates`, or -1 until the scan first admits one of its rows.
    @usableFromInline var slotOfTemplate: [Int32] = []
    /// The prepared records built so far in this block.
    @usableFromInline var templates: [AnnotatedFlow] = []
    /// The decoder's dictionaries for this block, which build prepared records on demand.
    var dictionaries: BlockDictionaries?
    /// Set before decoding by a scan whose visitor screens rows without prepared records
    /// (`StoreVisitor.screensWithoutPreparedRecords`): the decoder then numbers a
    /// conversation's prepared record only when one of its rows is admitted, and
    /// `templateOfConversation` holds -1 until then. `preparedCount` and
    /// `preparedIndex(ofConversation:)` are for blocks decoded without it.
    public var numbersPreparedOnDemand = false

    @usableFromInline init() {}

    /// Rows in the block (inside the scan's time range).
    @inlinable public var rowCount: Int { count }
    /// Conversations in the block (rows sharing addresses, destination port, protocol, VLANs,
    /// annotation, node and domains).
    @inlinable public var conversationCount: Int { conversations.count }
    /// The conversation of row `row`.
    @inlinable public func conversation(ofRow row: Int) -> Int { Int(truncatingIfNeeded: conversationOfRow[row]) }
    /// The fields conversation `c`'s rows share, in a record whose other fields are zero.
    @inlinable public func route(_ c: Int) -> FlowRecord { conversations.record(c) }
    /// The conversations' shared fields, column by column (what a filter tests once per
    /// conversation, or once per address).
    @inlinable public var conversationColumns: ConversationColumns { conversations }
    /// Which prepared record conversation `c` shares (`preparedCount` of them per block).
    @inlinable public func preparedIndex(ofConversation c: Int) -> Int { Int(templateOfConversation[c]) }
    @inlinable public var preparedCount: Int { slotOfTemplate.count }
    /// A prepared record: annotation, node and domain names as stored; its `flow` is a
    /// placeholder. Builds the dictionary entries it needs on first use.
    public func prepared(_ t: Int) -> AnnotatedFlow {
        let slot = Int(slotOfTemplate[t])
        return slot >= 0 ? templates[slot] : dictionaries!.template(t, flow: placeholder(t))
    }
    /// Whether prepared record `t` carries an annotation (without building it).
    public func preparedIsAnnotated(_ t: Int) -> Bool { dictionaries!.isAnnotated(template: t) }
    /// `FlowAnnotation.reportsAtDestination` of prepared record `t` (false without an
    /// annotation), without building it.
    public func preparedReportsAtDestination(_ t: Int) -> Bool { dictionaries!.reportsAtDestination(template: t) }

    /// The numbers of prepared record `t`'s source and destination identities among the
    /// block's `identityCount` (nil without an annotation), without building anything: a
    /// filter on identities alone tests each identity once, not each prepared record.
    public func preparedIdentityNumbers(_ t: Int) -> (source: Int, destination: Int)? {
        dictionaries!.identityNumbers(template: t)
    }
    /// Identities in the block's dictionary.
    public var identityCount: Int { dictionaries?.identityCount ?? 0 }
    /// Identity `n` of the block's dictionary (built on first use).
    public func identity(_ n: Int) -> EndpointIdentity { dictionaries!.identity(n) }

    /// Builds prepared record `t` into a slot of `templates` (the scan calls it the first time
    /// it admits one of its rows, then lends the slot's record); returns the slot.
    @usableFromInline mutating func prepare(_ t: Int) -> Int {
        slotOfTemplate[t] = Int32(templates.count)
        templates.append(dictionaries!.template(t, flow: placeholder(t)))
        return templates.count - 1
    }

    /// The record of prepared record `t`'s first conversation.
    private func placeholder(_ t: Int) -> FlowRecord { conversations.record(Int(dictionaries!.entries.templateFirstConversation[t])) }

    /// Takes the decoder's dictionaries for the block just decoded: no prepared record is
    /// built yet.
    mutating func lend(_ dictionaries: BlockDictionaries) {
        self.dictionaries = dictionaries
        templates.removeAll(keepingCapacity: true)
        slotOfTemplate.removeAll(keepingCapacity: true)
        slotOfTemplate.append(contentsOf: repeatElement(-1, count: dictionaries.templateCount))
    }

    @inlinable public func sourcePort(ofRow row: Int) -> UInt16 { UInt16(truncatingIfNeeded: sourcePorts[row]) }
    /// FlowRecord's counters of the row (`…Out` from source to destination).
    @inlinable public func packetsOut(ofRow row: Int) -> UInt64 { packetsOut[row] }
    @inlinable public func bytesOut(ofRow row: Int) -> UInt64 { bytesOut[row] }
    @inlinable public func packetsIn(ofRow row: Int) -> UInt64 { packetsIn[row] }
    @inlinable public func bytesIn(ofRow row: Int) -> UInt64 { bytesIn[row] }

    /// Row `row` as a record (its conversation's fields and its own).
    @inlinable public func record(_ row: Int) -> FlowRecord {
        var r = conversations.record(Int(truncatingIfNeeded: conversationOfRow[row]))
        let shape = shapes[row]
        r.sourcePort = UInt16(truncatingIfNeeded: sourcePorts[row])
        r.icmpType = UInt8(truncatingIfNeeded: shape >> 32)
        r.icmpCode = UInt8(truncatingIfNeeded: shape >> 40)
        r.start = Timestamp(nanoseconds: starts[row])
        r.end = Timestamp(nanoseconds: ends[row])
        r.packetsOut = packetsOut[row]
        r.bytesOut = bytesOut[row]
        r.packetsIn = packetsIn[row]
        r.bytesIn = bytesIn[row]
        r.tcpFlagsOut = TCPFlags(rawValue: UInt8(truncatingIfNeeded: shape))
        r.tcpFlagsIn = TCPFlags(rawValue: UInt8(truncatingIfNeeded: shape >> 8))
        r.status = FlowStatus(rawValue: UInt16(truncatingIfNeeded: shape >> 16))
        return r
    }

    /// The prepared record number of row `row`'s conversation (numbered in decoding).
    @inlinable func templateIndex(ofRow row: Int) -> Int {
        Int(templateOfConversation[Int(truncatingIfNeeded: conversationOfRow[row])])
    }

    /// The same, numbering the conversation's prepared record now if the block waits for rows
    /// to do it (`numbersPreparedOnDemand`).
    @inlinable mutating func templateIndex(numbering row: Int) -> Int {
        let c = Int(truncatingIfNeeded: conversationOfRow[row])
        let t = templateOfConversation[c]
        return t >= 0 ? Int(t) : number(conversation: c)
    }

    @usableFromInline mutating func number(conversation c: Int) -> Int {
        let t = dictionaries!.number(conversation: c)
        templateOfConversation[c] = Int32(t)
        if t == slotOfTemplate.count { slotOfTemplate.append(-1) }
        return t
    }

    /// Screens the block with `visitor`, then hands it each row it admits as a whole record, in
    /// row order: the row's prepared record (built the first time one of its rows is admitted)
    /// with the row's flow set, lent, not copied. Returns how many rows were handed over, and
    /// whether the visitor asked to stop (after the last of them).
    @inlinable
    public mutating func visitRows<V: StoreVisitor>(with visitor: inout V) -> (visited: Int, stopped: Bool) {
        var visited = 0
        visitor.screen(self)
        for i in 0..<count where visitor.admits(self, row: i) {
            let t = templateIndex(numbering: i)
            var slot = Int(slotOfTemplate[t])
            if slot < 0 { slot = prepare(t) }
            templates[slot].flow = record(i)
            visited += 1
            if !visitor.visit(templates[slot]) { return (visited, true) }
        }
        return (visited, false)
    }

    /// Row `row` in full.
    public func flow(_ row: Int) -> AnnotatedFlow {
        var record = prepared(templateIndex(ofRow: row))
        record.flow = self.record(row)
        return record
    }

    /// Forgets the rows (and drops the shared tables, so the decoder can reuse its own).
    mutating func clear() {
        count = 0
        conversations.removeAll()
        templateOfConversation = []
        slotOfTemplate.removeAll(keepingCapacity: true)
        templates.removeAll(keepingCapacity: true)
    }
}
