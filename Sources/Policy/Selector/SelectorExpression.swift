/// The parsed form of a selector (calico-semantics §2.1), and its canonical text (§2.4).
/// Public for translators of selectors into other query languages (the ClickHouse export).
public indirect enum SelectorExpression: Hashable, Sendable {
    case all
    case global
    case has(String)
    case equal(String, String)
    case notEqual(String, String)
    case contains(String, String)
    case startsWith(String, String)
    case endsWith(String, String)
    /// Members sorted byte-wise without duplicates.
    case member(String, [String])
    case notMember(String, [String])
    case not(SelectorExpression)
    case and([SelectorExpression])
    case or([SelectorExpression])

    static func sortedSet(_ members: [String]) -> [String] {
        Array(Set(members)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    var canonical: String {
        switch self {
        case .all: return "all()"
        case .global: return "global()"
        case .has(let l): return "has(\(l))"
        case .equal(let l, let v): return "\(l) == \(Self.quote(v))"
        case .notEqual(let l, let v): return "\(l) != \(Self.quote(v))"
        case .contains(let l, let v): return "\(l) contains \(Self.quote(v))"
        case .startsWith(let l, let v): return "\(l) starts with \(Self.quote(v))"
        case .endsWith(let l, let v): return "\(l) ends with \(Self.quote(v))"
        case .member(let l, let set): return "\(l) in {\(set.map(Self.quote).joined(separator: ", "))}"
        case .notMember(let l, let set): return "\(l) not in {\(set.map(Self.quote).joined(separator: ", "))}"
        case .not(let e): return "!" + e.canonical
        case .and(let parts): return parts.count == 1 ? parts[0].canonical : "(" + parts.map(\.canonical).joined(separator: " && ") + ")"
        case .or(let parts): return parts.count == 1 ? parts[0].canonical : "(" + parts.map(\.canonical).joined(separator: " || ") + ")"
        }
    }

    /// Double quotes unless the literal itself holds one (it then cannot hold a single quote).
    /// (Foundation's `contains(String)` bridged every value to NSString; a Character search
    /// breaks the text into graphemes, a thousand instructions a literal. Without the byte
    /// there is no such Character; with it, the Character search decides, as a quote followed
    /// by a combining mark is a Character of its own.)
    static func quote(_ v: String) -> String {
        let holdsQuote = v.utf8.contains(UInt8(ascii: "\"")) && v.contains(Character("\""))
        return holdsQuote ? "'\(v)'" : "\"\(v)\""
    }

    var containsGlobal: Bool {
        switch self {
        case .global: return true
        case .not(let e): return e.containsGlobal
        case .and(let parts), .or(let parts): return parts.contains { $0.containsGlobal }
        default: return false
        }
    }

    /// The rewrite Calico applies to namespace and service-account selectors (§2.6): every label
    /// gets `prefix`, `all()` and `global()` become `allBecomes` / `globalBecomes`.
    func scoped(prefix: String, allBecomes: SelectorExpression, globalBecomes: SelectorExpression) -> SelectorExpression {
        func go(_ e: SelectorExpression) -> SelectorExpression {
            switch e {
            case .all: return allBecomes
            case .global: return globalBecomes
            case .has(let l): return .has(prefix + l)
            case .equal(let l, let v): return .equal(prefix + l, v)
            case .notEqual(let l, let v): return .notEqual(prefix + l, v)
            case .contains(let l, let v): return .contains(prefix + l, v)
            case .startsWith(let l, let v): return .startsWith(prefix + l, v)
            case .endsWith(let l, let v): return .endsWith(prefix + l, v)
            case .member(let l, let s): return .member(prefix + l, s)
            case .notMember(let l, let s): return .notMember(prefix + l, s)
            case .not(let inner): return .not(go(inner))
            case .and(let parts): return .and(parts.map(go))
            case .or(let parts): return .or(parts.map(go))
            }
        }
        return go(self)
    }
}
