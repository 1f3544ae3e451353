/// The domain names a flow's destination address was resolved from (Calico's `dest_domains`):
/// the names a DNS answer linked to the address, the queried name first, then each name of the
/// CNAME chain down to the record holding the address; lowercase, without the trailing dot.
///
/// One shared immutable box per distinct list: the DNS cache hands the same value to every flow
/// to that address, so a copy costs a reference count and equality usually an identity check.
public struct DomainNames: Hashable, Sendable {
    // Unchecked: the box is never mutated after `init`, so sharing it between threads is safe.
    final class Storage: @unchecked Sendable {
        let names: [String]
        init(_ names: [String]) { self.names = names }
    }

    private let storage: Storage?

    public static let none = DomainNames()

    public init() { storage = nil }

    /// Names in the order given, duplicates dropped.
    public init(_ names: [String]) {
        var unique: [String] = []
        for name in names where !unique.contains(name) { unique.append(name) }
        storage = unique.isEmpty ? nil : Storage(unique)
    }

    public var names: [String] { storage?.names ?? [] }
    public var isEmpty: Bool { storage == nil }

    /// Names the shared box (nil for no names): equal identities mean equal values.
    public var storageIdentity: ObjectIdentifier? { storage.map(ObjectIdentifier.init) }

    public static func == (l: DomainNames, r: DomainNames) -> Bool {
        l.storage === r.storage || l.names == r.names
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(names) }

    /// Calico's domain match: a pattern without `*` is an exact (case-insensitive) name; a `*`
    /// standing for one whole label matches one or more labels there (`*.example.com` matches
    /// `a.example.com` and `a.b.example.com`, not `example.com`). Names are stored lowercase.
    public static func matches(pattern: String, name: String) -> Bool {
        let p = pattern.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        let n = name.split(separator: ".", omittingEmptySubsequences: false)
        guard let star = p.firstIndex(of: "*") else { return p.elementsEqual(n) }
        let before = p[..<star], after = p[(star + 1)...]
        guard n.count >= before.count + after.count + 1 else { return false }
        return n.prefix(before.count).elementsEqual(before) && n.suffix(after.count).elementsEqual(after)
    }

    /// Whether any name matches the pattern.
    public func contains(matching pattern: String) -> Bool {
        names.contains { Self.matches(pattern: pattern, name: $0) }
    }
}
