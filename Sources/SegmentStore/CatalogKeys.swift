import FlowCore

// How `EncoderCatalog` finds an identity or a trace it has met under another box: by its
// parts' catalog numbers, which it computes for a new value anyway. Two values are equal exactly
// when their numbers are (the catalog numbers equal strings, and equal label maps, alike).
//
// A `Dictionary` keyed by the value itself hashed its names with SipHash on the lookup, again on
// the insert that followed, and compared whole hit lists where hashes met: on the large cluster
// about 27,000 instructions for each new trace and 9,500 for each new identity (callgrind), most
// of the catalog's cost. A number key hashes a few words and compares integers.

/// An identity as its kind and the catalog numbers of its strings and label map.
struct IdentityKey: DenseKey {
    let kind: UInt8
    let parts: EncoderCatalog.IdentityParts

    var denseHash: UInt64 {
        var h = DenseHash.mix(UInt64(kind), UInt64(truncatingIfNeeded: parts.namespace) << 32 ^ UInt64(truncatingIfNeeded: parts.name))
        h = DenseHash.mix(h, UInt64(truncatingIfNeeded: parts.aggregatedName) << 32 ^ UInt64(truncatingIfNeeded: parts.labels))
        return DenseHash.mix(h, UInt64(truncatingIfNeeded: parts.serviceAccount))
    }

    static func == (l: IdentityKey, r: IdentityKey) -> Bool {
        l.kind == r.kind && l.parts.namespace == r.parts.namespace && l.parts.name == r.parts.name
            && l.parts.aggregatedName == r.parts.aggregatedName && l.parts.labels == r.parts.labels
            && l.parts.serviceAccount == r.parts.serviceAccount
    }
}

/// A trace as words: reporter, action and hit count, then per hit its index, its rule index,
/// its kind and action with its tier's string number, and its namespace's and name's string
/// numbers. The hash is kept: the table hashes a key again whenever it grows.
struct TraceKey: DenseKey {
    let words: [UInt64]
    let denseHash: UInt64

    init(_ trace: PolicyTrace, strings: [(tier: Int, namespace: Int, name: Int)]) {
        let hits = trace.hits
        var words: [UInt64] = []
        words.reserveCapacity(1 + 4 * hits.count)
        words.append(UInt64(trace.reporter.rawValue) | UInt64(trace.action.rawValue) << 8 | UInt64(hits.count) << 16)
        for (hit, names) in zip(hits, strings) {
            words.append(UInt64(bitPattern: Int64(hit.index)))
            words.append(UInt64(bitPattern: Int64(hit.ruleIndex)))
            words.append(UInt64(hit.kind.rawValue) | UInt64(hit.action.rawValue) << 8 | UInt64(truncatingIfNeeded: names.tier) << 32)
            words.append(UInt64(truncatingIfNeeded: names.namespace) | UInt64(truncatingIfNeeded: names.name) << 32)
        }
        var h: UInt64 = 0
        for word in words { h = DenseHash.mix(h, word) }
        self.words = words
        denseHash = h
    }

    static func == (l: TraceKey, r: TraceKey) -> Bool { l.denseHash == r.denseHash && l.words == r.words }
}
