/// One line saying what a version changed, for `audit history`:
/// `rule 2 of egress: destination.ports 443 → 443,8443`.
public enum VersionSummary {
    /// Paths that change on every write and say nothing about policy.
    static let bookkeeping: [String] = [
        "/metadata/resourceVersion", "/metadata/generation", "/metadata/managedFields", "/metadata/creationTimestamp",
        "/metadata/uid", "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration", "/status/conditions",
    ]

    public static func line(for version: ObjectVersion, previous: JSONValue?) -> String {
        switch version.cause {
        case .namespaceDeleted(let namespace): return "deleted with namespace \(namespace)"
        default: break
        }
        if version.isDelete { return "deleted" }
        guard let object = version.object else { return "deleted" }
        guard let previous else { return version.version == 1 ? "created" : "re-created" }
        let patch = version.patch ?? JSONPatch.difference(from: previous, to: object)
        var seen = Set<String>()
        var parts: [String] = []
        for operation in patch.arrayValue ?? [] {
            guard let path = operation["path"]?.stringValue,
                  !bookkeeping.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) else { continue }
            let shown = wholeScalarList(path, previous, object) ?? path
            guard seen.insert(shown).inserted else { continue }
            parts.append(describe(shown, before: lookup(previous, shown), after: lookup(object, shown)))
        }
        if parts.isEmpty { return version.subresource == "status" ? "status unchanged" : "metadata only" }
        let shown = parts.prefix(2).joined(separator: "; ")
        return parts.count > 2 ? shown + "; +\(parts.count - 2) more" : shown
    }

    /// When `path` points into a list of scalars (ports, CIDRs), the list itself: the change
    /// reads better as the whole list before and after.
    static func wholeScalarList(_ path: String, _ a: JSONValue, _ b: JSONValue) -> String? {
        var tokens = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        while !tokens.isEmpty {
            let candidate = "/" + tokens.joined(separator: "/")
            if isScalarList(lookup(a, candidate)) || isScalarList(lookup(b, candidate)) { return candidate }
            tokens.removeLast()
        }
        return nil
    }

    private static func isScalarList(_ value: JSONValue?) -> Bool {
        guard let items = value?.arrayValue, !items.isEmpty else { return false }
        return items.allSatisfy { if case .array = $0 { return false }; if case .object = $0 { return false }; return true }
    }

    static func lookup(_ root: JSONValue, _ path: String) -> JSONValue? {
        var node: JSONValue? = root
        for token in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let key = JSONPatch.unescape(token)
            switch node {
            case .object?: node = node?[key]
            case .array(let items)?: node = Int(key).flatMap { $0 >= 0 && $0 < items.count ? items[$0] : nil }
            default: return nil
            }
        }
        return node
    }

    /// `rule 2 of egress: destination.ports 443 → 443,8443`, `spec.selector: a → b`.
    static func describe(_ path: String, before: JSONValue?, after: JSONValue?) -> String {
        let tokens = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { JSONPatch.unescape($0) }
        var label: String
        if tokens.count >= 3, tokens[0] == "spec", tokens[1] == "ingress" || tokens[1] == "egress", let rule = Int(tokens[2]) {
            let rest = tokens.dropFirst(3).joined(separator: ".")
            label = "rule \(rule + 1) of \(tokens[1])" + (rest.isEmpty ? "" : ": " + rest)
            if rest.isEmpty {
                if before == nil { return label + " added" }
                if after == nil { return label + " removed" }
                return label + " changed"
            }
        } else {
            label = tokens.joined(separator: ".")
        }
        if before == nil { return "\(label): added \(render(after))" }
        if after == nil { return "\(label): removed (was \(render(before)))" }
        return (label.contains(":") ? label + " " : label + ": ") + "\(render(before)) → \(render(after))"
    }

    static func render(_ value: JSONValue?) -> String {
        guard let value else { return "—" }
        switch value {
        case .string(let text): return text.count > 60 ? String(text.prefix(57)) + "…" : text
        case .array(let items) where items.allSatisfy({ if case .object = $0 { return false }; return true }):
            return items.map { render($0) }.joined(separator: ",")
        default:
            let text = value.compactText
            return text.count > 60 ? String(text.prefix(57)) + "…" : text
        }
    }
}
