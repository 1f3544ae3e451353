import FlowCore

/// Remembers, per conversation sum, the group it adds to (or that the filter drops it), keyed
/// by the few fields the group keys and the filter read, so conversations alike in those fields
/// format and hash their key and run the filter once.
///
/// The memo key packs the destination port, protocol and VLAN the plan reads, plus the block's
/// annotation-and-node number when it reads any annotation or node field (those numbers are per
/// block, so such a memo is cleared at each block). Plans that read addresses are not memoised:
/// an address does not fit beside the rest, and address groups rarely repeat within a block.
///
/// Ports and VLANs come from the wire, so the multiplier that picks a bucket is a random odd
/// number drawn for each memo (multiply-shift hashing, as `DigestTokens` explains), not a
/// constant that would let a sender pick keys sharing one bucket.
struct ConversationMemo {
    /// What the plan's keys and filter read (`QueryPlan.conversationFields`).
    let needs: ConversationFields
    /// Occupied buckets hold code | `occupied`; 0 is empty.
    private var codes: [UInt64]
    private var slots: [Int32]
    private var filled: [Int] = []
    /// Odd; a stored property, read with the table.
    let multiplier: UInt64
    private static let occupied: UInt64 = 1 << 63
    private static let templateLimit = 1 << 23

    /// The group slot the memo answers with for a dropped conversation.
    static let dropped: Int32 = -1

    init(needs: ConversationFields) {
        var random = SystemRandomNumberGenerator()
        self.init(needs: needs, multiplier: random.next())
    }

    /// Given multiplier (made odd): for tests, which compare multipliers.
    init(needs: ConversationFields, multiplier: UInt64) {
        self.needs = needs
        self.multiplier = multiplier | 1
        codes = needs.contains(.addresses) ? [] : [UInt64](repeating: 0, count: 1024)
        slots = [Int32](repeating: 0, count: codes.count)
    }

    var isUsable: Bool { !needs.contains(.addresses) }

    /// A new block: its template numbers mean other pairs.
    mutating func beginBlock() {
        guard needs.contains(.annotation) else { return }
        for i in filled { codes[i] = 0 }
        filled.removeAll(keepingCapacity: true)
    }

    /// The memo key of a conversation, nil when it cannot be memoised.
    @inline(__always)
    func code(_ flow: FlowRecord, template: Int) -> UInt64? {
        guard isUsable else { return nil }
        var code: UInt64 = 0
        if needs.contains(.destinationPort) { code |= UInt64(flow.destinationPort) }
        if needs.contains(.ipProtocol) { code |= UInt64(flow.ipProtocol.rawValue) << 16 }
        if needs.contains(.vlan) { code |= UInt64(flow.vlan) << 24 }
        if needs.contains(.annotation) {
            guard template < Self.templateLimit else { return nil }
            code |= UInt64(template) << 40
        }
        return code
    }

    @inline(__always)
    func slot(for code: UInt64) -> Int32? {
        let stored = code | Self.occupied
        let mask = codes.count - 1
        var i = bucket(code, mask)
        while true {
            let c = codes[i]
            if c == stored { return slots[i] }
            if c == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    mutating func remember(_ code: UInt64, slot: Int32) {
        if (filled.count + 1) * 2 > codes.count { grow() }
        let mask = codes.count - 1
        var i = bucket(code, mask)
        while codes[i] != 0 { i = (i + 1) & mask }
        codes[i] = code | Self.occupied
        slots[i] = slot
        filled.append(i)
    }

    /// The bucket `code` is looked for first, of `mask + 1` (at most 2^24).
    @inline(__always)
    func bucket(_ code: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (code &* multiplier) >> 40) & mask
    }

    private mutating func grow() {
        let entries = filled.map { (codes[$0] & ~Self.occupied, slots[$0]) }
        codes = [UInt64](repeating: 0, count: codes.count * 2)
        slots = [Int32](repeating: 0, count: codes.count)
        filled.removeAll(keepingCapacity: true)
        for (code, slot) in entries { remember(code, slot: slot) }
    }
}
