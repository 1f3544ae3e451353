/// Remembers, per (selector, label map), whether the selector matches, so each distinct label
/// map is evaluated at most once per selector for the engine's lifetime.
///
/// One flat table, a row per distinct label map with two bits per selector (known, matches),
/// given on the first lookup of an entity with that map. A walk or a view of the other end
/// tests many selectors against the same one or two entities (the other end and its network
/// sets), so rows keep those answers on a few cache lines: on a cluster of 4,096 pods and 1,000
/// policies a fresh engine's lookups mostly missed the CPU caches with a byte per answer, and
/// rows per selector, as before that, spread one walk's lookups over megabytes.
struct SelectorMemo {
    /// The selectors as integer tests on numbered label maps (a first evaluation is a few
    /// integer comparisons, not dictionary lookups hashing strings).
    private let selectors: NumberedSelectors
    private let labels: LabelNumbering
    /// Per entity: the offset of its row in `answers`, -1 until first used.
    private var rows: [Int]
    /// Bit 2k of a row's word k / 32 (shifted by 2 (k % 32)): selector k's answer is known;
    /// the bit above it: the answer.
    private var answers: [UInt64] = []
    private let rowWords: Int

    /// Per entity, the number of its selector label map in `labels`; per label map, its row
    /// (-1: none yet).
    private let labelSets: [Int32]
    private var labelRows: [Int]

    /// `entityMaps`: per entity, the number of its selector labels in `labels`.
    init(selectors: [Selector], labels: LabelNumbering, entityMaps: [Int32]) {
        self.selectors = NumberedSelectors(selectors, labels: labels)
        self.labels = labels
        self.rows = Array(repeating: -1, count: entityMaps.count)
        self.rowWords = (selectors.count + 31) / 32
        self.labelSets = entityMaps
        self.labelRows = Array(repeating: -1, count: labels.mapCount)
    }

    mutating func matches(_ selector: Int, entity: Int) -> Bool {
        var row = rows[entity]
        if row < 0 {
            // Entities with equal labels share a row: the pods of a workload mostly do, so a
            // selector is evaluated once per workload instead of once per pod.
            let map = Int(labelSets[entity])
            row = labelRows[map]
            if row < 0 {
                row = answers.count
                answers.append(contentsOf: repeatElement(0, count: rowWords))
                labelRows[map] = row
            }
            rows[entity] = row
        }
        let word = row + (selector >> 5), shift = UInt64(selector & 31) << 1
        let known = answers[word] >> shift
        if known & 1 != 0 { return known & 2 != 0 }
        let result = selectors.matches(selector, map: Int(labelSets[entity]), labels: labels)
        answers[word] |= (result ? 3 : 1) << shift
        return result
    }

    /// Whether the selector matches the endpoint (-1: none) or any of the network sets: the
    /// candidates Calico's IP sets hold at one address.
    @inline(__always)
    mutating func matchesAny(_ selector: Int, endpoint: Int, sets: [Int]) -> Bool {
        if endpoint >= 0, matches(selector, entity: endpoint) { return true }
        for set in sets where matches(selector, entity: set) { return true }
        return false
    }
}
