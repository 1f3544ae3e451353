/// Remembers, per (selector, entity), whether the selector matches, so each label map is
/// evaluated at most once per selector for the engine's lifetime.
///
/// One flat byte table, a row per entity (one byte per selector: 0 unknown, 1 no, 2 yes),
/// given on the entity's first lookup. A walk tests many selectors against the same one or two
/// entities (the other end and its network sets), so entity rows keep those answers on a few
/// cache lines; rows per selector, as before, spread one walk's lookups over megabytes on a
/// cluster of 4,096 pods and 1,000 policies, and an array of arrays made each write a
/// uniqueness check and each read a retain.
struct SelectorMemo {
    private let selectors: [Selector]
    private let entityLabels: [[String: String]]
    /// Per entity: the offset of its row in `answers`, -1 until first used.
    private var rows: [Int]
    private var answers: [UInt8] = []

    init(selectors: [Selector], entityLabels: [[String: String]]) {
        self.selectors = selectors
        self.entityLabels = entityLabels
        self.rows = Array(repeating: -1, count: entityLabels.count)
    }

    mutating func matches(_ selector: Int, entity: Int) -> Bool {
        var row = rows[entity]
        if row < 0 {
            row = answers.count
            answers.append(contentsOf: repeatElement(0, count: selectors.count))
            rows[entity] = row
        }
        let known = answers[row + selector]
        if known != 0 { return known == 2 }
        let result = selectors[selector].matches(entityLabels[entity])
        answers[row + selector] = result ? 2 : 1
        return result
    }
}
