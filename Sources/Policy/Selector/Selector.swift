import FlowCore

/// A Calico label selector (calico-semantics §2), parsed once and compiled into a matcher.
///
/// Two selectors are equal when their canonical forms are equal, as Calico deduplicates them.
public struct Selector: Hashable, Sendable, CustomStringConvertible {
    public let expression: SelectorExpression
    /// Compiled on the first match: the policy engine numbers selectors and never matches
    /// with this, and most selectors loading makes are steps of a rule's scoping.
    private let matcher: LazySelectorMatcher
    /// Calico's canonical text (§2.4).
    public let canonical: String

    /// Parses `text`; throws a `FlowlogError` with code `.parse`, the 1-based column and what
    /// was expected there.
    public init(parsing text: String) throws {
        var parser = try SelectorParser(text: text)
        self.init(expression: try parser.parse())
    }

    init(expression: SelectorExpression) {
        self.init(expression: expression, canonical: expression.canonical)
    }

    /// `canonical` is `expression.canonical`, known from the parts it was made of.
    private init(expression: SelectorExpression, canonical: String) {
        self.expression = expression
        self.matcher = LazySelectorMatcher(expression)
        self.canonical = canonical
    }

    public static let all = Selector(expression: .all)

    /// Whether an endpoint with `labels` is selected. A missing label makes `==`, `in`,
    /// `contains`, `starts with`, `ends with` and `has` false and `!=`, `not in` true.
    public func matches(_ labels: [String: String]) -> Bool { matcher.matcher.matches(labels) }

    /// Whether this selector's matcher was compiled yet (tests).
    var isMatcherCompiled: Bool { matcher.isCompiled }

    /// `"s:" + base64url-no-padding(SHA-224("s:" + canonical))`.
    public var uid: String {
        let text = "s:" + canonical
        return "s:" + SHA224.base64URL(SHA224.digest(Array(text.utf8)))
    }

    /// True for the selector that matches everything (`all()`, empty text).
    public var isAll: Bool { expression == .all }

    /// Whether `global()` occurs anywhere in the selector.
    var usesGlobal: Bool { expression.containsGlobal }

    public var description: String { canonical }

    public static func == (l: Selector, r: Selector) -> Bool { l.canonical == r.canonical }
    public func hash(into h: inout Hasher) { h.combine(canonical) }

    // MARK: - Combining (Calico's scope rewrites, §2.6)

    /// `self && other`, flattening nothing (the canonical form keeps the grouping).
    func and(_ other: Selector) -> Selector {
        if isAll { return other }
        if other.isAll { return self }
        // The canonical form of a two-part `and`, from the parts' own: spelling both parts
        // out again at every step of a policy's scoping was most of what building it cost.
        return Selector(expression: .and([expression, other.expression]), canonical: "(" + canonical + " && " + other.canonical + ")")
    }

    /// The namespace-selector rewrite: labels get `pcns.`, `all()` means "any namespaced
    /// endpoint or set", `global()` means "only non-namespaced ones".
    func namespaceScoped() -> Selector {
        Selector(expression: expression.scoped(
            prefix: "pcns.",
            allBecomes: .has(ClusterLabels.namespace),
            globalBecomes: .not(.has(ClusterLabels.namespace))))
    }

    /// The service-account-selector rewrite: labels get `pcsa.`, `all()` means "has a service account".
    func serviceAccountScoped() -> Selector {
        Selector(expression: expression.scoped(
            prefix: "pcsa.",
            allBecomes: .has(ClusterLabels.serviceAccount),
            globalBecomes: .not(.has(ClusterLabels.serviceAccount))))
    }

    static func namespaceEquals(_ namespace: String) -> Selector {
        Selector(expression: .equal(ClusterLabels.namespace, namespace))
    }

    static func serviceAccountIn(_ names: [String]) -> Selector {
        Selector(expression: .member(ClusterLabels.serviceAccount, SelectorExpression.sortedSet(names)))
    }

    static let hasNamespace = Selector(expression: .has(ClusterLabels.namespace))
}

/// Label keys Calico adds to endpoints and sets.
enum ClusterLabels {
    static let namespace = "projectcalico.org/namespace"
    static let orchestrator = "projectcalico.org/orchestrator"
    static let serviceAccount = "projectcalico.org/serviceaccount"
    static let name = "projectcalico.org/name"
    static let namespacePrefix = "pcns."
    static let serviceAccountPrefix = "pcsa."
}

extension Selector {
    /// Every `all()` replaced (Calico does this when a namespaceSelector joins a GNP selector).
    func replacingAll(with replacement: Selector) -> Selector {
        Selector(expression: expression.scoped(prefix: "", allBecomes: replacement.expression, globalBecomes: .global))
    }
}
