/// Selectors compiled against a `LabelNumbering`: every test becomes integer comparisons on a
/// numbered label map, in one flat array of plain nodes (no strings, no reference counting).
///
/// Built once the engine has numbered every label map it will evaluate, so each literal of a
/// selector is resolved to numbers once: a key no map has makes `has`, `==`, `in` and the text
/// operators false and `!=`, `not in` true, exactly as a missing label does (§2.2). `contains`,
/// `starts with` and `ends with` are answered for every value numbered under that key when the
/// selector is compiled, so they too become membership in a sorted list of value numbers.
/// `SelectorMatcher` (strings) stays the reference: `NumberedSelectorTests` compares the two.
struct NumberedSelectors {
    private enum Op: UInt8 {
        case constant, has, equal, notEqual, member, notMember, not, and, or
    }

    /// `a`, `b`: the value number (`equal`, `notEqual`), the constant (0 or 1), a child node
    /// (`not`), or a range of `operands` / `members` (`and`, `or`, `member`, `notMember`).
    private struct Node {
        var op: Op
        var key: Int32
        var a: Int32
        var b: Int32
    }

    private var nodes: [Node] = []
    private var operands: [Int32] = []
    /// Sorted value numbers of each `member` / `notMember` node.
    private var members: [Int32] = []
    /// Each selector's root node.
    private var roots: [Int32] = []

    init(_ selectors: [Selector], labels: LabelNumbering) {
        // Per key, the values numbered under it: the text operators test only those.
        var valuesByKey: [Int32: [Int32]] = [:]
        for pair in labels.pairs {
            valuesByKey[Int32(truncatingIfNeeded: pair >> 32), default: []].append(Int32(truncatingIfNeeded: pair & 0xFFFF_FFFF))
        }
        for key in valuesByKey.keys { valuesByKey[key] = Array(Set(valuesByKey[key]!)).sorted() }
        for selector in selectors { roots.append(emit(selector.expression, labels: labels, valuesByKey: valuesByKey)) }
    }

    private mutating func add(_ node: Node) -> Int32 {
        nodes.append(node)
        return Int32(nodes.count - 1)
    }

    private mutating func memberNode(_ op: Op, key: Int32, values: [Int32]) -> Int32 {
        let start = Int32(members.count)
        members.append(contentsOf: Array(Set(values)).sorted())
        return add(Node(op: op, key: key, a: start, b: Int32(members.count)))
    }

    private mutating func emit(_ e: SelectorExpression, labels: LabelNumbering, valuesByKey: [Int32: [Int32]]) -> Int32 {
        func textMatches(_ key: String, _ test: (String) -> Bool) -> Int32 {
            let k = labels.key(key)
            let matching = (valuesByKey[k] ?? []).filter { test(labels.values[Int($0)]) }
            return memberNode(.member, key: k, values: matching)
        }
        switch e {
        case .all, .global:
            return add(Node(op: .constant, key: -1, a: 1, b: 0))
        case .has(let l):
            return add(Node(op: .has, key: labels.key(l), a: 0, b: 0))
        case .equal(let l, let v):
            return add(Node(op: .equal, key: labels.key(l), a: labels.value(v), b: 0))
        case .notEqual(let l, let v):
            return add(Node(op: .notEqual, key: labels.key(l), a: labels.value(v), b: 0))
        case .contains(let l, let v):
            let needle = Array(v.utf8)
            return textMatches(l) { Self.bytes(Array($0.utf8), contain: needle) }
        case .startsWith(let l, let v):
            return textMatches(l) { $0.utf8.starts(with: v.utf8) }
        case .endsWith(let l, let v):
            return textMatches(l) { $0.utf8.reversed().starts(with: v.utf8.reversed()) }
        case .member(let l, let set):
            // `Set<String>` membership: every value a `String` comparison holds equal.
            return memberNode(.member, key: labels.key(l), values: set.flatMap { labels.valuesByText[$0] ?? [] })
        case .notMember(let l, let set):
            return memberNode(.notMember, key: labels.key(l), values: set.flatMap { labels.valuesByText[$0] ?? [] })
        case .not(let inner):
            let child = emit(inner, labels: labels, valuesByKey: valuesByKey)
            return add(Node(op: .not, key: -1, a: child, b: 0))
        case .and(let parts), .or(let parts):
            let children = parts.map { emit($0, labels: labels, valuesByKey: valuesByKey) }
            let start = Int32(operands.count)
            operands.append(contentsOf: children)
            let op: Op
            if case .and = e { op = .and } else { op = .or }
            return add(Node(op: op, key: -1, a: start, b: Int32(operands.count)))
        }
    }

    private static func bytes(_ haystack: [UInt8], contain needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }

    /// Whether selector `selector` matches label map `map` of `labels`.
    func matches(_ selector: Int, map: Int, labels: LabelNumbering) -> Bool {
        evaluate(roots[selector], map: map, labels: labels)
    }

    private func evaluate(_ n: Int32, map: Int, labels: LabelNumbering) -> Bool {
        let node = nodes[Int(n)]
        switch node.op {
        case .constant:
            return node.a != 0
        case .has:
            return node.key >= 0 && labels.value(in: map, key: node.key) >= 0
        case .equal:
            guard node.key >= 0 else { return false }
            let v = labels.value(in: map, key: node.key)
            return v >= 0 && v == node.a
        case .notEqual:
            guard node.key >= 0 else { return true }
            let v = labels.value(in: map, key: node.key)
            return v < 0 || v != node.a
        case .member, .notMember:
            let v = node.key >= 0 ? labels.value(in: map, key: node.key) : -1
            guard v >= 0 else { return node.op == .notMember }
            let found = contains(v, Int(node.a)..<Int(node.b))
            return node.op == .member ? found : !found
        case .not:
            return !evaluate(node.a, map: map, labels: labels)
        case .and:
            for k in Int(node.a)..<Int(node.b) where !evaluate(operands[k], map: map, labels: labels) { return false }
            return true
        case .or:
            for k in Int(node.a)..<Int(node.b) where evaluate(operands[k], map: map, labels: labels) { return true }
            return false
        }
    }

    /// Binary search of a sorted range of `members`.
    private func contains(_ value: Int32, _ range: Range<Int>) -> Bool {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi {
            let middle = (lo + hi) / 2
            let m = members[middle]
            if m == value { return true }
            if m < value { lo = middle + 1 } else { hi = middle }
        }
        return false
    }
}
