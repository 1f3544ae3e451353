import ConfigAudit
import FlowCore
import Foundation
import Policy
import SegmentStore

/// Runs one report: the policy states over the interval, the in-scope endpoints and their
/// flags, and (with a flow store) the observed evidence.
public struct ReportBuilder: Sendable {
    public var privateNetworks: PrivateNetworks
    /// Where the observed evidence comes from; nil for intent only.
    public var dataDirectory: String?
    /// What cis-benchmark reports judge; nil refuses them.
    public var cis: CISInput?

    public init(privateNetworks: PrivateNetworks = .standard, dataDirectory: String? = nil, cis: CISInput? = nil) {
        self.privateNetworks = privateNetworks
        self.dataDirectory = dataDirectory
        self.cis = cis
    }

    public func build(_ spec: ReportSpec, states source: PolicyStateSource, start: Timestamp, end: Timestamp,
                      generated: Timestamp) throws -> ReportDocument {
        guard start < end else {
            throw FlowlogError(.invalidArgument, "the report's start (\(start.wholeSecondsRFC3339)) must be before its end (\(end.wholeSecondsRFC3339))",
                               location: .init(field: "--start"))
        }
        if spec.type == .cisBenchmark {
            return try cisBenchmark(spec, source: source, start: start, end: end, generated: generated)
        }
        var changes: [PolicyChange] = []
        if spec.type == .policyAudit {
            guard let found = try source.policyChanges(from: start, to: end) else {
                throw FlowlogError(.invalidArgument,
                                   "policy-audit reports need the policy version history (--audit DIR); manifests are a single point in time and hold no changes",
                                   location: .init(field: "--audit"))
            }
            changes = found
        }
        let states = try source.states(from: start, to: end)
        if let namespaces = spec.endpoints.namespaces, let last = states.last?.cluster {
            // Namespaced policies outside the scope's namespaces are not the report's business.
            changes = changes.filter { change in
                change.namespace.isEmpty || namespaces.matches(
                    name: change.namespace,
                    labels: last.namespaces[change.namespace]?.labels ?? ["kubernetes.io/metadata.name": change.namespace])
            }
        }
        var merged: [EndpointKey: EndpointAssessment] = [:]
        var serviceAccounts: Set<String> = []
        for state in states {
            var assessor = StateAssessor(cluster: state.cluster, privateNetworks: privateNetworks)
            for assessment in assessor.assess(spec.endpoints) {
                if assessment.key.kind == .pod {
                    serviceAccounts.insert("\(assessment.key.namespace)/\(assessment.serviceAccount)")
                }
                if var known = merged[assessment.key] {
                    known.merge(assessment)
                    merged[assessment.key] = known
                } else {
                    merged[assessment.key] = assessment
                }
            }
        }
        let endpoints = merged.values.sorted { $0.key < $1.key }
        var namespaces: [String: NamespaceAssessment] = [:]
        var services: [String: ServiceAssessment] = [:]
        for e in endpoints {
            if e.key.kind == .pod {
                var ns = namespaces[e.key.namespace] ?? NamespaceAssessment(name: e.key.namespace)
                ns.endpoints += 1
                if e.calico.ingressProtected { ns.calicoIngressProtected += 1 }
                if e.calico.egressProtected { ns.calicoEgressProtected += 1 }
                if e.assessed.ingressDefaultDeny { ns.ingressDefaultDeny += 1 }
                if e.assessed.egressDefaultDeny { ns.egressDefaultDeny += 1 }
                namespaces[e.key.namespace] = ns
            }
            for name in e.services {
                var s = services[name] ?? ServiceAssessment(name: name)
                s.endpoints += 1
                if e.calico.ingressProtected { s.calicoIngressProtected += 1 }
                if e.assessed.ingressDefaultDeny { s.ingressDefaultDeny += 1 }
                services[name] = s
            }
        }
        var evidence: FlowEvidence?
        if let dataDirectory, spec.type != .policyAudit {
            var collector = FlowEvidenceCollector(inScope: endpoints.map(\.key), privateNetworks: privateNetworks, start: start, end: end)
            var unreadable = 0
            if let reader = try Self.openStore(dataDirectory) {
                unreadable = try reader.scan(since: start, until: end, visitor: &collector).corruptBlocks.count
            }
            var found = collector.finished()
            found.unreadableBlocks = unreadable
            evidence = found
        }
        return ReportDocument(
            spec: spec, id: ReportID.make(name: spec.name, type: spec.type, start: start, end: end), start: start, end: end,
            generated: generated, provenance: source.provenance, statesAssessed: states.count, privateNetworks: privateNetworks,
            endpoints: endpoints, namespaces: namespaces.values.sorted { $0.name < $1.name },
            services: services.values.sorted { $0.name < $1.name }, serviceAccountsInScope: serviceAccounts.count,
            evidence: evidence, dataDirectory: dataDirectory, policyChanges: changes.sorted { $0.time < $1.time }, cis: nil)
    }

    /// The store; nil when the directory exists but holds no segment yet (an agent that has not
    /// stored a flow: nothing was observed). A missing directory is an error.
    static func openStore(_ directory: String) throws -> StoreReader? {
        do {
            return try StoreReader(directory: directory)
        } catch let error as FlowlogError where error.code == .fileNotFound {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue { return nil }
            throw error
        }
    }

    /// The CIS Kubernetes Benchmark through ConfigAudit, exclusions judged on the interval's last day.
    /// Unreadable manifests or kube-bench files throw ConfigAudit's `ManifestError` with every error.
    private func cisBenchmark(_ spec: ReportSpec, source: PolicyStateSource, start: Timestamp, end: Timestamp,
                              generated: Timestamp) throws -> ReportDocument {
        guard let cis else {
            throw FlowlogError(.validation, "cis-benchmark reports need the cluster manifests (and kube-bench results for the nodes)",
                               location: .init(file: spec.origin, field: "spec.reportType"))
        }
        let lastDay = Timestamp(nanoseconds: end.nanoseconds > 0 ? end.nanoseconds - 1 : 0)
        let report = try CISBenchmark.run(clusterPaths: cis.clusterPaths, kubeBench: cis.kubeBench, settings: spec.cis,
                                          date: String(lastDay.wholeSecondsRFC3339.prefix(10)))
        return ReportDocument(
            spec: spec, id: ReportID.make(name: spec.name, type: spec.type, start: start, end: end), start: start, end: end,
            generated: generated, provenance: source.provenance, statesAssessed: 1, privateNetworks: privateNetworks,
            endpoints: [], namespaces: [], services: [], serviceAccountsInScope: 0, evidence: nil, dataDirectory: nil,
            policyChanges: [], cis: report)
    }
}
