import FlowCore

/// A compliance pack: data (YAML in the repository), not code. It names a tier and the
/// policies to render into it for the namespaces it is enabled for (the scope), the Pod
/// Security level they must enforce, the reports to schedule, the behaviour the tier engine
/// must show (expectations), the flows that would breach it, and a control map from
/// requirement ids to the checks that evidence them.
public struct CompliancePack: Sendable {
    public struct Tier: Sendable, Hashable {
        public let name: String
        public let order: Double
    }

    /// A probe endpoint the expectations refer to (besides `scope`, a pod in each scope namespace).
    public enum Endpoint: Sendable, Hashable {
        /// A pod in a namespace of its own with these labels.
        case namespace(labels: [String: String])
        /// A pod with these labels in this namespace.
        case pod(namespace: String, labels: [String: String])
        /// An address that is no endpoint.
        case address(String)
    }

    /// What the tier engine must decide for one kind of connection.
    public struct Expectation: Sendable, Hashable {
        public let id: String
        public let from: String
        public let to: String
        public let ipProtocol: String
        public let port: UInt16
        /// The action of the pack's tier: `allow`, `pass` (left to later tiers) or `deny`.
        public let packAction: String?
        /// The final verdict: `allow` or `deny`.
        public let verdict: String?
    }

    /// A query over stored flows whose matches breach the pack.
    public struct FlowCheck: Sendable, Hashable {
        public let id: String
        public let description: String
        /// The query filter, with `$SCOPE` (the scope namespaces) and `$LABELLED(key=value)`
        /// (namespaces carrying that label) to fill in.
        public let filter: String
    }

    /// One check a requirement is evidenced by.
    public enum Check: Sendable, Hashable {
        case tier
        case policy(String)
        case networkSet(String)
        case report(String)
        case podSecurity
        case expectation(String)
        case flows(String)
        case cis(String)
    }

    public struct Control: Sendable, Hashable {
        public let id: String
        public let title: String
        public let checks: [Check]
    }

    public let name: String
    public let title: String
    public let summary: String
    public let tier: Tier
    public let podSecurity: PodSecurityPolicy
    /// Global network sets to create (`name`, labels, nets).
    public let networkSets: [(name: String, labels: [String: String], nets: [String])]
    /// Tiered policies: name and the `spec` to render (`$SCOPE` filled in), kept as YAML text.
    let policies: [(name: String, spec: String)]
    /// Objects rendered once per scope namespace (`$NAMESPACE` filled in), `spec` as YAML text.
    let namespaced: [(apiVersion: String, kind: String, name: String, spec: String)]
    public let reports: [(name: String, reportType: String, schedule: String)]
    public let endpoints: [String: Endpoint]
    public let expectations: [Expectation]
    public let flowChecks: [FlowCheck]
    public let controls: [Control]
    /// Where the pack was read from.
    public let source: String

    public var policyNames: [String] { policies.map { "\(tier.name).\($0.name)" } }
}
