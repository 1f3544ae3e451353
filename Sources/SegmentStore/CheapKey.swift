import FlowCore

/// A dictionary key that hashes only a value's cheap, telling fields (names, counts) and
/// compares with full `==`: hashing a whole annotation walks label maps and traces, which
/// dominated writing. Equal values still hash equally; collisions only cost an `==`.
struct CheapKey<Value: CheaplyHashable>: Hashable {
    let value: Value
    init(_ value: Value) { self.value = value }
    static func == (l: CheapKey, r: CheapKey) -> Bool { l.value == r.value }
    func hash(into hasher: inout Hasher) { value.cheapHash(into: &hasher) }
}

protocol CheaplyHashable: Equatable {
    func cheapHash(into hasher: inout Hasher)
}

extension EndpointIdentity: CheaplyHashable {
    func cheapHash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(name)
        hasher.combine(aggregatedName)
        hasher.combine(labels.count)
    }
}

extension PolicyTrace: CheaplyHashable {
    /// Every hit's numbers and name length, and the last hit's name: a large cluster's traces
    /// mostly end in a few policies and differ in the tiers they passed before, so the last hit
    /// alone left thousands of traces to one hash, each new one compared with all of them.
    func cheapHash(into hasher: inout Hasher) {
        hasher.combine(reporter)
        hasher.combine(action)
        let hits = self.hits
        hasher.combine(hits.count)
        for hit in hits {
            hasher.combine(hit.index)
            hasher.combine(hit.kind)
            hasher.combine(hit.action)
            hasher.combine(hit.ruleIndex)
            hasher.combine(hit.tier.utf8.count)
            hasher.combine(hit.namespace.utf8.count)
            hasher.combine(hit.name.utf8.count)
        }
        if let last = hits.last { hasher.combine(last.name) }
    }
}
