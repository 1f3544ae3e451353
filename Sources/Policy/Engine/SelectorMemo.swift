/// Remembers, per (selector, entity), whether the selector matches, so each label map is
/// evaluated at most once per selector for the engine's lifetime.
struct SelectorMemo {
    private let selectors: [Selector]
    private let entityLabels: [[String: String]]
    /// Per selector: nil until first used, then one byte per entity (0 unknown, 1 no, 2 yes).
    private var answers: [[UInt8]?]

    init(selectors: [Selector], entityLabels: [[String: String]]) {
        self.selectors = selectors
        self.entityLabels = entityLabels
        self.answers = Array(repeating: nil, count: selectors.count)
    }

    mutating func matches(_ selector: Int, entity: Int) -> Bool {
        if answers[selector] == nil {
            answers[selector] = [UInt8](repeating: 0, count: entityLabels.count)
        }
        let known = answers[selector]![entity]
        if known != 0 { return known == 2 }
        let result = selectors[selector].matches(entityLabels[entity])
        answers[selector]![entity] = result ? 2 : 1
        return result
    }
}
