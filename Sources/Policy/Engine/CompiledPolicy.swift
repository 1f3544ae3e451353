import FlowCore

/// A service a rule names, resolved against the cluster once.
struct ResolvedService: Sendable {
    let namespace: String
    let selector: [String: String]
    let clusterIPs: [IPAddress]
}

/// An EntityRule with its selectors replaced by indexes into the engine's selector table.
///
/// A class, as `CompiledRule`: a walk reads a rule's fields in place through one reference; as
/// structs, every rule handed to the matcher was copied with a retain per array it holds, which
/// was a third of the cold evaluation time on a 1,000-policy cluster.
final class CompiledEntity: Sendable {
    let nets: [IPPrefix]
    let notNets: [IPPrefix]
    let selector: Int  // -1: none
    let notSelector: Int
    let ports: [PortMatch]
    let notPorts: [PortMatch]
    /// nil when the rule names no service; a reference to a missing service matches nothing.
    let service: ResolvedService??
    let domains: [String]

    init(nets: [IPPrefix], notNets: [IPPrefix], selector: Int, notSelector: Int, ports: [PortMatch], notPorts: [PortMatch],
         service: ResolvedService??, domains: [String]) {
        self.nets = nets
        self.notNets = notNets
        self.selector = selector
        self.notSelector = notSelector
        self.ports = ports
        self.notPorts = notPorts
        self.service = service
        self.domains = domains
    }
}

final class CompiledRule: Sendable {
    let action: RuleAction
    let ipVersion: IPVersion?
    let ipProtocol: IPProtocol?
    let notProtocol: IPProtocol?
    let icmp: ICMPMatch?
    let notICMP: ICMPMatch?
    let source: CompiledEntity
    let destination: CompiledEntity
    /// The IP family of the rule's CIDRs (`nets`/`notNets`, either side), nil when it has none.
    /// Felix renders a rule once per IP version and leaves it out of a version whose CIDRs it
    /// would all have to drop, so for the other family the rule does not exist.
    let cidrFamily: IPVersion?

    init(action: RuleAction, ipVersion: IPVersion?, ipProtocol: IPProtocol?, notProtocol: IPProtocol?, icmp: ICMPMatch?,
         notICMP: ICMPMatch?, source: CompiledEntity, destination: CompiledEntity, cidrFamily: IPVersion?) {
        self.action = action
        self.ipVersion = ipVersion
        self.ipProtocol = ipProtocol
        self.notProtocol = notProtocol
        self.icmp = icmp
        self.notICMP = notICMP
        self.source = source
        self.destination = destination
        self.cidrFamily = cidrFamily
    }
}

struct CompiledPolicy {
    let policy: ClusterPolicy
    let selector: Int
    let ingress: [CompiledRule]
    let egress: [CompiledRule]

    func rules(_ d: PolicyDirection) -> [CompiledRule] { d == .ingress ? ingress : egress }
}

/// Tiers in order with their policies in order: the enforced list and, where staged policies
/// exist, the list evaluated for the pending trace.
struct TierPlan {
    let tier: PolicyTier
    let enforced: [Int]
    let pending: [Int]
}

/// Interns selectors so equal ones (by canonical form) share one memo row.
struct SelectorTable {
    private(set) var selectors: [Selector] = []
    private var ids: [Selector: Int] = [:]

    mutating func id(_ s: Selector?) -> Int {
        guard let s else { return -1 }
        if let id = ids[s] { return id }
        selectors.append(s)
        ids[s] = selectors.count - 1
        return selectors.count - 1
    }
}

extension CompiledPolicy {
    static func compile(_ p: ClusterPolicy, table: inout SelectorTable, cluster: Cluster) -> CompiledPolicy {
        func entity(_ e: EntityMatch) -> CompiledEntity {
            var service: ResolvedService?? = nil
            if let ref = e.service {
                let found = cluster.services.first { $0.namespace == ref.namespace && $0.name == ref.name }
                service = .some(found.map { ResolvedService(namespace: $0.namespace, selector: $0.selector ?? [:], clusterIPs: $0.clusterIPs) })
            }
            return CompiledEntity(nets: e.nets, notNets: e.notNets, selector: table.id(e.selector),
                                  notSelector: table.id(e.notSelector), ports: e.ports, notPorts: e.notPorts, service: service,
                                  domains: e.domains)
        }
        func rule(_ r: PolicyRule) -> CompiledRule {
            // The loader rejects rules mixing families, so the first CIDR names the family.
            let cidrs = r.source.nets + r.source.notNets + r.destination.nets + r.destination.notNets
            return CompiledRule(action: r.action, ipVersion: r.ipVersion, ipProtocol: r.ipProtocol, notProtocol: r.notProtocol,
                                icmp: r.icmp, notICMP: r.notICMP, source: entity(r.source), destination: entity(r.destination),
                                cidrFamily: cidrs.first?.address.version)
        }
        return CompiledPolicy(policy: p, selector: table.id(p.selector), ingress: p.ingress.map(rule), egress: p.egress.map(rule))
    }
}
