import Audit
import FlowCore
import Policy

/// The policy state over an interval from the audit version history (docs/audit.md): the state
/// in effect at the start, then a new state at every instant an object changed.
public struct AuditStateSource: PolicyStateSource {
    public let history: AuditHistory
    public let provenance: StateProvenance

    public init(history: AuditHistory, directory: String) {
        self.history = history
        self.provenance = StateProvenance(kind: .history, sources: [directory])
    }

    /// Loads the history in `directory` (read-only).
    public init(directory: String) throws {
        self.init(history: try AuditHistory.load(directory: directory), directory: directory)
    }

    /// The kinds whose changes a policy-audit report counts (Calico's `policy-audit` recipe).
    static let policyKinds: Set<String> = ["GlobalNetworkPolicy", "NetworkPolicy", "StagedGlobalNetworkPolicy",
                                           "StagedNetworkPolicy", "StagedKubernetesNetworkPolicy"]

    public func states(from start: Timestamp, to end: Timestamp) throws -> [PolicyState] {
        // Fold versions forward once instead of rebuilding the whole state for every instant.
        let ordered = history.versions.sorted { ($0.time, $0.sequence) < ($1.time, $1.sequence) }
        var latest: [ObjectKey: ObjectVersion] = [:]
        var index = 0
        func apply(through instant: Timestamp) {
            while index < ordered.count, ordered[index].time <= instant {
                let version = ordered[index]
                if let current = latest[version.key], current.version > version.version {
                    index += 1
                    continue
                }
                latest[version.key] = version
                index += 1
            }
        }
        func state(at instant: Timestamp) throws -> PolicyState {
            var objects: [ObjectKey: JSONValue] = [:]
            for (key, version) in latest { if let object = version.object { objects[key] = object } }
            return PolicyState(validFrom: instant, cluster: try AuditState(instant: instant, objects: objects).cluster())
        }
        apply(through: start)
        var states = [try state(at: start)]
        while index < ordered.count, ordered[index].time < end {
            let instant = ordered[index].time
            apply(through: instant)
            states.append(try state(at: instant))
        }
        return states
    }

    public func policyChanges(from start: Timestamp, to end: Timestamp) throws -> [PolicyChange]? {
        history.versions(since: start, until: end).compactMap { version -> PolicyChange? in
            let resource = version.key.resource
            guard Self.policyKinds.contains(resource.kind), version.subresource.isEmpty else { return nil }
            let verb: PolicyChange.Verb
            switch version.verb {
            case "create": verb = .create
            case "delete", "deletecollection": verb = .delete
            default: verb = version.isDelete ? .delete : .modify
            }
            let kind = resource.group == "networking.k8s.io" ? "NetworkPolicy.networking.k8s.io/v1" : resource.kind
            return PolicyChange(time: version.time, verb: verb, kind: kind, namespace: version.key.namespace, name: version.key.name,
                                author: version.author.username, document: version.object?.compactText ?? "")
        }
    }
}
