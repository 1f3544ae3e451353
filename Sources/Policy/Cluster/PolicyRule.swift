import FlowCore

/// A rule's action; `log` never decides (§1.3).
public enum RuleAction: String, Hashable, Sendable {
    case allow = "Allow", deny = "Deny", pass = "Pass", log = "Log"
}

/// `icmp` / `notICMP`: a type, optionally with a code.
public struct ICMPMatch: Hashable, Sendable {
    public let type: UInt8
    public let code: UInt8?

    func matches(type t: UInt8, code c: UInt8) -> Bool { t == type && (code == nil || code == c) }
}

/// One entry of `ports` / `notPorts`.
public enum PortMatch: Hashable, Sendable, CustomStringConvertible {
    case range(UInt16, UInt16)
    case named(String)

    public var description: String {
        switch self {
        case let .range(a, b): return a == b ? "\(a)" : "\(a):\(b)"
        case let .named(n): return n
        }
    }
}

/// A rule's `source` or `destination` (EntityRule) with Calico's selector scoping applied.
public struct EntityMatch: Hashable, Sendable {
    public var nets: [IPPrefix] = []
    public var notNets: [IPPrefix] = []
    /// The positive selector after scoping (namespace clause, namespaceSelector, serviceAccounts);
    /// nil when the rule puts no selector-like constraint on this side.
    public var selector: Selector?
    public var notSelector: Selector?
    public var ports: [PortMatch] = []
    public var notPorts: [PortMatch] = []
    /// `services`: the destination (or source) must be the service's cluster IP or one of its pods.
    public var service: ServiceReference?
    /// `domains` (destination of egress Allow rules, as Calico Enterprise has them): the flow's
    /// destination must have been resolved from a matching name (exact, or with one `*` label).
    public var domains: [String] = []
    /// Whether the manifest wrote a namespaceSelector (already folded into `selector`):
    /// compliance reports reproduce Calico's reading of rules as written.
    public var namesNamespaceSelector = false

    public var isEmpty: Bool {
        nets.isEmpty && notNets.isEmpty && selector == nil && notSelector == nil && ports.isEmpty
            && notPorts.isEmpty && service == nil && domains.isEmpty
    }
}

public struct ServiceReference: Hashable, Sendable {
    public let namespace: String
    public let name: String
}

/// One Calico rule (§3). Every present field must match.
public struct PolicyRule: Hashable, Sendable {
    public var action: RuleAction
    public var ipVersion: IPVersion?
    public var ipProtocol: IPProtocol?
    public var notProtocol: IPProtocol?
    public var icmp: ICMPMatch?
    public var notICMP: ICMPMatch?
    public var source = EntityMatch()
    public var destination = EntityMatch()

    public init(action: RuleAction) { self.action = action }
}
