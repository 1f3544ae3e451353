/// A selector compiled once into a flat node array: matching walks indexes, never re-parses,
/// and set membership is a hash lookup.
final class SelectorMatcher: Sendable {
    enum Node: Sendable {
        case constant(Bool)
        case has(String)
        case equal(String, String)
        case notEqual(String, String)
        case contains(String, String)
        case startsWith(String, String)
        case endsWith(String, String)
        case member(String, Set<String>)
        case notMember(String, Set<String>)
        case not(Int)
        /// Operands are `operands[start..<start+count]`.
        case and(start: Int, count: Int)
        case or(start: Int, count: Int)
    }

    private let nodes: [Node]
    private let operands: [Int]
    private let root: Int

    init(_ expression: SelectorExpression) {
        var nodes: [Node] = []
        var operands: [Int] = []
        func emit(_ e: SelectorExpression) -> Int {
            let node: Node
            switch e {
            case .all, .global: node = .constant(true)
            case .has(let l): node = .has(l)
            case .equal(let l, let v): node = .equal(l, v)
            case .notEqual(let l, let v): node = .notEqual(l, v)
            case .contains(let l, let v): node = .contains(l, v)
            case .startsWith(let l, let v): node = .startsWith(l, v)
            case .endsWith(let l, let v): node = .endsWith(l, v)
            case .member(let l, let s): node = .member(l, Set(s))
            case .notMember(let l, let s): node = .notMember(l, Set(s))
            case .not(let inner): node = .not(emit(inner))
            case .and(let parts), .or(let parts):
                let children = parts.map(emit)
                let start = operands.count
                operands.append(contentsOf: children)
                if case .and = e { node = .and(start: start, count: children.count) }
                else { node = .or(start: start, count: children.count) }
            }
            nodes.append(node)
            return nodes.count - 1
        }
        root = emit(expression)
        self.nodes = nodes
        self.operands = operands
    }

    func matches(_ labels: [String: String]) -> Bool { evaluate(root, labels) }

    private func evaluate(_ i: Int, _ labels: [String: String]) -> Bool {
        switch nodes[i] {
        case .constant(let v): return v
        case .has(let l): return labels[l] != nil
        case .equal(let l, let v): return labels[l].map { Self.bytesEqual($0, v) } ?? false
        case .notEqual(let l, let v): return labels[l].map { !Self.bytesEqual($0, v) } ?? true
        case .contains(let l, let v): return labels[l].map { Self.bytesContain($0, v) } ?? false
        case .startsWith(let l, let v): return labels[l].map { $0.utf8.starts(with: v.utf8) } ?? false
        case .endsWith(let l, let v): return labels[l].map { $0.utf8.reversed().starts(with: v.utf8.reversed()) } ?? false
        case .member(let l, let s): return labels[l].map { s.contains($0) } ?? false
        case .notMember(let l, let s): return labels[l].map { !s.contains($0) } ?? true
        case .not(let inner): return !evaluate(inner, labels)
        case .and(let start, let count):
            for k in start..<(start + count) where !evaluate(operands[k], labels) { return false }
            return true
        case .or(let start, let count):
            for k in start..<(start + count) where evaluate(operands[k], labels) { return true }
            return false
        }
    }

    // Calico compares bytes; Swift's String == applies Unicode canonical equivalence, so compare
    // the UTF-8 directly (also the faster path).
    private static func bytesEqual(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    private static func bytesContain(_ haystack: String, _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        if n.isEmpty { return true }
        let h = Array(haystack.utf8)
        guard h.count >= n.count else { return false }
        for start in 0...(h.count - n.count) where h[start] == n[0] {
            if h[start..<(start + n.count)].elementsEqual(n) { return true }
        }
        return false
    }
}
