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
    func cheapHash(into hasher: inout Hasher) {
        hasher.combine(reporter)
        hasher.combine(action)
        hasher.combine(hits.count)
        if let last = hits.last {
            hasher.combine(last.name)
            hasher.combine(last.ruleIndex)
        }
    }
}
