import ConfigAudit
import FlowCore
import Policy

/// The report types Calico's `GlobalReportType`s define (compliance §1.3).
public enum ReportType: String, Sendable, CaseIterable, CustomStringConvertible {
    case inventory
    case networkAccess = "network-access"
    case policyAudit = "policy-audit"
    case cisBenchmark = "cis-benchmark"

    public var description: String { rawValue }
}

/// `names` and/or `selector`; when both are set both must match (compliance §1.2).
public struct NameSelection: Sendable, Hashable {
    public var names: [String]
    public var selector: Selector?

    public init(names: [String] = [], selector: Selector? = nil) {
        self.names = names
        self.selector = selector
    }

    /// Whether a namespace or service account with this name and these labels is selected.
    public func matches(name: String, labels: [String: String]) -> Bool {
        if !names.isEmpty, !names.contains(name) { return false }
        if let selector, !selector.matches(labels) { return false }
        return true
    }
}

/// `spec.endpoints`: the three groups are ANDed; an absent group selects everything.
public struct EndpointSelection: Sendable, Hashable {
    public var selector: Selector?
    public var namespaces: NameSelection?
    public var serviceAccounts: NameSelection?

    public init(selector: Selector? = nil, namespaces: NameSelection? = nil, serviceAccounts: NameSelection? = nil) {
        self.selector = selector
        self.namespaces = namespaces
        self.serviceAccounts = serviceAccounts
    }

    public static let everything = EndpointSelection()
}

/// One `GlobalReport` (apiVersion `projectcalico.org/v3`), as read from a manifest.
public struct ReportSpec: Sendable {
    /// `metadata.name`: lower case, as Kubernetes names are.
    public var name: String
    public var type: ReportType
    public var endpoints: EndpointSelection
    /// nil: only run by hand (`flowlog report run`).
    public var schedule: CronSchedule?
    public var suspend: Bool
    /// `spec.cis`: Calico's thresholds and filters, as ConfigAudit's CIS run takes them.
    public var cis: CISSettings
    /// Where it was read, for messages.
    public var origin: String

    public init(name: String, type: ReportType, endpoints: EndpointSelection = .everything, schedule: CronSchedule? = nil,
                suspend: Bool = false, cis: CISSettings = CISSettings(), origin: String = "") {
        self.name = name
        self.type = type
        self.endpoints = endpoints
        self.schedule = schedule
        self.suspend = suspend
        self.cis = cis
        self.origin = origin
    }
}
