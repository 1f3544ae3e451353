/// The fate of a flow or of one direction of it.
public enum Verdict: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Not evaluated: no cluster was loaded, or neither side is a known endpoint.
    case unknown = 0
    case allow = 1
    case deny = 2

    public var description: String {
        switch self {
        case .unknown: return "unknown"
        case .allow: return "allow"
        case .deny: return "deny"
        }
    }

    public init?(name: String) {
        guard let v = Verdict.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = v
    }
}

/// What a matched rule (or a tier's end) did.
public enum PolicyAction: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case allow = 1
    case deny = 2
    case pass = 3

    public var description: String {
        switch self {
        case .allow: return "allow"
        case .deny: return "deny"
        case .pass: return "pass"
        }
    }

    public init?(name: String) {
        guard let v = PolicyAction.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = v
    }
}

/// Kinds of policy as flow-log policy strings abbreviate them.
public enum PolicyKind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case globalNetworkPolicy = 1          // gnp
    case networkPolicy = 2                // np
    case kubernetesNetworkPolicy = 3      // knp
    case stagedGlobalNetworkPolicy = 4    // sgnp
    case stagedNetworkPolicy = 5          // snp
    case stagedKubernetesNetworkPolicy = 6 // sknp
    case profile = 7                      // pro
    /// Kubernetes ClusterNetworkPolicy (and its v1alpha1 forms AdminNetworkPolicy and
    /// BaselineAdminNetworkPolicy) in the `kube-admin` and `kube-baseline` tiers.
    case clusterNetworkPolicy = 8         // kcnp

    public var description: String {
        switch self {
        case .globalNetworkPolicy: return "gnp"
        case .networkPolicy: return "np"
        case .kubernetesNetworkPolicy: return "knp"
        case .stagedGlobalNetworkPolicy: return "sgnp"
        case .stagedNetworkPolicy: return "snp"
        case .stagedKubernetesNetworkPolicy: return "sknp"
        case .profile: return "pro"
        case .clusterNetworkPolicy: return "kcnp"
        }
    }

    public init?(abbreviation: String) {
        guard let v = PolicyKind.allCases.first(where: { $0.description == abbreviation }) else { return nil }
        self = v
    }

    public var isStaged: Bool {
        self == .stagedGlobalNetworkPolicy || self == .stagedNetworkPolicy || self == .stagedKubernetesNetworkPolicy
    }
    public var isNamespaced: Bool {
        self == .networkPolicy || self == .kubernetesNetworkPolicy || self == .stagedNetworkPolicy
            || self == .stagedKubernetesNetworkPolicy
    }
}

/// One entry of a trace: the policy (or profile) that decided within one tier.
public struct PolicyHit: Hashable, Sendable {
    /// Position of the tier in this trace (0, 1, …); the profile takes the next index.
    public var index: Int
    /// Tier name; `__PROFILE__` for profiles.
    public var tier: String
    public var kind: PolicyKind
    /// Namespace of a namespaced policy, "" otherwise.
    public var namespace: String
    /// Policy name without tier prefix (v3.32 style); for profiles the profile name (`kns.shop`).
    public var name: String
    public var action: PolicyAction
    /// 0-based rule index in the policy's rules for this direction, -1 for the tier's end.
    public var ruleIndex: Int

    public init(index: Int, tier: String, kind: PolicyKind, namespace: String = "", name: String,
                action: PolicyAction, ruleIndex: Int) {
        self.index = index
        self.tier = tier
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.action = action
        self.ruleIndex = ruleIndex
    }

    public static let profileTier = "__PROFILE__"

    /// `<idx>|<tier>|<kind>:[<ns>/]<name>|<action>|<ruleIdx>` (Calico v3.32+).
    public var flowLogString: String {
        let ns = namespace.isEmpty ? "" : namespace + "/"
        return "\(index)|\(tier)|\(kind):\(ns)\(name)|\(action)|\(ruleIndex)"
    }

    /// The v3.30/v3.31 and Calico Enterprise form: `<tier>.<name>`, `<ns>/<tier>.<name>`,
    /// `<ns>/knp.default.<name>`, `kcnp.<tier>.<name>`, `staged:` before staged names,
    /// `__PROFILE__.<profile>`.
    public var legacyFlowLogString: String {
        let nameField: String
        switch kind {
        case .profile: nameField = "\(PolicyHit.profileTier).\(name)"
        case .globalNetworkPolicy: nameField = "\(tier).\(name)"
        case .stagedGlobalNetworkPolicy: nameField = "\(tier).staged:\(name)"
        case .networkPolicy: nameField = "\(namespace)/\(tier).\(name)"
        case .stagedNetworkPolicy: nameField = "\(namespace)/\(tier).staged:\(name)"
        case .kubernetesNetworkPolicy: nameField = "\(namespace)/knp.default.\(name)"
        case .stagedKubernetesNetworkPolicy: nameField = "\(namespace)/staged:knp.default.\(name)"
        case .clusterNetworkPolicy: nameField = "kcnp.\(tier).\(name)"
        }
        return "\(index)|\(tier)|\(nameField)|\(action)|\(ruleIndex)"
    }

    /// Parses the v3.32 form back (used by the store's decoder and by tests).
    public init?(flowLogString text: String) {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 5, let idx = Int(parts[0]), let rule = Int(parts[4]),
              let action = PolicyAction(name: String(parts[3])) else { return nil }
        let kindAndName = parts[2]
        guard let colon = kindAndName.firstIndex(of: ":"),
              let kind = PolicyKind(abbreviation: String(kindAndName[..<colon])) else { return nil }
        var name = String(kindAndName[kindAndName.index(after: colon)...])
        var ns = ""
        if kind.isNamespaced, let slash = name.firstIndex(of: "/") {
            ns = String(name[..<slash])
            name = String(name[name.index(after: slash)...])
        }
        self.init(index: idx, tier: String(parts[1]), kind: kind, namespace: ns, name: name, action: action, ruleIndex: rule)
    }
}

/// The policy walk for one direction at one endpoint.
///
/// Copy-on-write storage in one shared box (see `FlowAnnotation`): the policy stage reuses a
/// walk's trace for every flow it decides alike, and the store numbers traces by box first.
public struct PolicyTrace: Hashable, Sendable {
    // Unchecked: copy-on-write, as `FlowAnnotation.Storage`; a shared box is never written.
    final class Storage: @unchecked Sendable {
        var reporter: Reporter
        var action: Verdict
        var hits: [PolicyHit]

        init(reporter: Reporter, action: Verdict, hits: [PolicyHit]) {
            self.reporter = reporter
            self.action = action
            self.hits = hits
        }
    }

    private var storage: Storage

    public init(reporter: Reporter, action: Verdict, hits: [PolicyHit]) {
        storage = Storage(reporter: reporter, action: action, hits: hits)
    }

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) {
            storage = Storage(reporter: storage.reporter, action: storage.action, hits: storage.hits)
        }
        return storage
    }

    /// Who reported it: the source endpoint (egress) or the destination endpoint (ingress).
    public var reporter: Reporter {
        get { storage.reporter }
        set { unique().reporter = newValue }
    }
    /// The direction's final action.
    public var action: Verdict {
        get { storage.action }
        set { unique().action = newValue }
    }
    public var hits: [PolicyHit] {
        get { storage.hits }
        set { unique().hits = newValue }
    }

    /// Names the shared box: values with the same identity are equal. Stable while any value
    /// holding the box is alive.
    public var storageIdentity: ObjectIdentifier { ObjectIdentifier(storage) }

    public static func == (l: PolicyTrace, r: PolicyTrace) -> Bool {
        l.storage === r.storage
            || (l.storage.reporter == r.storage.reporter && l.storage.action == r.storage.action && l.storage.hits == r.storage.hits)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.reporter)
        hasher.combine(storage.action)
        hasher.combine(storage.hits)
    }
}

public enum Reporter: UInt8, Hashable, Sendable, CustomStringConvertible {
    case source = 1
    case destination = 2
    public var description: String { self == .source ? "src" : "dst" }
}
