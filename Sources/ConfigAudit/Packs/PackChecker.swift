import FlowCore
import Foundation
import Policy
import Query

/// `flowlog pack check`: every requirement of a pack judged on cluster manifests (and, with a
/// store, on the flows observed in an interval).
public enum PackChecker {
    public static func check(_ pack: CompliancePack, clusterPaths: [String], data: String? = nil,
                             window: TimeWindow = TimeWindow(), limits: ManifestLimits = .standard) throws -> PackCheckReport {
        var reader = ManifestReader(limits: limits)
        reader.read(paths: clusterPaths)
        let (_, loadErrors) = ClusterLoader.inspect(paths: clusterPaths)
        if !reader.errors.isEmpty || !loadErrors.isEmpty { throw ManifestError(errors: reader.errors + loadErrors) }

        let rendered = reader.objects.filter { $0.group == "projectcalico.org" && $0.annotations[PackRenderer.packAnnotation] == pack.name }
        let scope = Array(Set(rendered.compactMap { $0.annotations[PackRenderer.scopeAnnotation] }
            .flatMap { $0.split(separator: ",").map(String.init) })).sorted()
        var texts: [String] = []
        for file in reader.files {
            if let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) { texts.append(text) }
        }
        let probes = PackProbes(pack: pack, scope: scope)
        let cluster = try ClusterLoader.load(text: texts.joined(separator: "\n---\n") + "\n---\n" + probes.manifests, name: "cluster manifests")
        let engine = PolicyEngine(cluster: cluster)
        var cis: [String: CISTestResult]?
        var cache: [CompliancePack.Check: PackEvidence] = [:]

        func evidence(_ check: CompliancePack.Check) throws -> PackEvidence {
            if let known = cache[check] { return known }
            let result: PackEvidence
            guard !scope.isEmpty else {
                return PackEvidence(check: describe(check), status: .fail, details: ["the pack is not rendered in these manifests (no \(pack.tier.name) policy annotated \(PackRenderer.packAnnotation): \(pack.name))"])
            }
            switch check {
            case .tier:
                let tier = cluster.tierDefinitions[pack.tier.name]
                let ok = tier?.exists == true
                result = PackEvidence(check: "tier \(pack.tier.name)", status: ok ? .pass : .fail,
                                      details: [ok ? "Tier \(pack.tier.name) exists, order \(tier?.order.map { PackRenderer.number($0) } ?? "none")" : "no Tier \(pack.tier.name)"])
            case .policy(let name):
                let full = "\(pack.tier.name).\(name)"
                let found = cluster.policies.first { $0.tier == pack.tier.name && ($0.name == full || $0.name == name) && !$0.kind.isStaged }
                let origin = reader.objects.first { $0.kind == "GlobalNetworkPolicy" && ($0.name == full || $0.name == name) }?.root.location.description ?? ""
                result = PackEvidence(check: "policy \(full)", status: found == nil ? .fail : .pass,
                                      details: [found.map { "GlobalNetworkPolicy \($0.name) in tier \($0.tier)\(origin.isEmpty ? "" : ", at \(origin)")" } ?? "GlobalNetworkPolicy \(full) is missing"])
            case .networkSet(let name):
                let found = cluster.networkSets.first { $0.isGlobal && $0.name == name }
                result = PackEvidence(check: "networkSet \(name)", status: found == nil ? .fail : .pass,
                                      details: [found.map { "GlobalNetworkSet \(name): \($0.nets.isEmpty ? "no nets" : $0.nets.map(\.description).joined(separator: ", "))" } ?? "GlobalNetworkSet \(name) is missing"])
            case .report(let name):
                let full = "\(pack.name)-\(name)"
                let found = reader.objects.first { $0.kind == "GlobalReport" && $0.name == full }
                result = PackEvidence(check: "report \(full)", status: found == nil ? .fail : .pass,
                                      details: [found == nil ? "GlobalReport \(full) is missing" : "GlobalReport \(full) (\(found?.root.object("spec")?.string("reportType") ?? ""), schedule \(found?.root.object("spec")?.string("schedule") ?? "none"))"])
            case .podSecurity:
                result = podSecurity(pack: pack, scope: scope, objects: reader.objects)
            case .expectation(let id):
                let x = pack.expectations.first { $0.id == id }!
                result = try probes.judge(x, pack: pack, scope: scope, cluster: cluster, engine: engine)
            case .flows(let id):
                let f = pack.flowChecks.first { $0.id == id }!
                result = try flows(f, scope: scope, objects: reader.objects, data: data, window: window)
            case .cis(let number):
                if cis == nil {
                    cis = Dictionary(uniqueKeysWithValues: try CISBenchmark.policyResults(clusterPaths: clusterPaths, limits: limits).map { ($0.number, $0) })
                }
                let r = cis![number]!
                let inScope = r.offenders.filter { o in scope.contains { o.object == "Namespace \($0)" || o.object.contains(" \($0)/") } }
                let status: PackCheckStatus = r.status == .info ? .notEvaluated : (inScope.isEmpty ? .pass : .fail)
                result = PackEvidence(check: "cis \(number)", status: status,
                                      details: ["\(r.title): \(inScope.isEmpty ? "no offender in scope" : "\(inScope.count) offender\(inScope.count == 1 ? "" : "s") in scope")"]
                                          + inScope.map { "\($0.object): \($0.detail)" })
            }
            cache[check] = result
            return result
        }

        let requirements = try pack.controls.map { control in
            let evidences = try control.checks.map(evidence)
            let status: PackCheckStatus = evidences.contains { $0.status == .fail } ? .fail
                : evidences.allSatisfy { $0.status == .notEvaluated } ? .notEvaluated : .pass
            return PackRequirementResult(id: control.id, title: control.title, status: status, evidence: evidences)
        }
        return PackCheckReport(pack: pack.name, title: pack.title, scope: scope, requirements: requirements)
    }

    static func describe(_ check: CompliancePack.Check) -> String {
        switch check {
        case .tier: return "tier"
        case .policy(let n): return "policy \(n)"
        case .networkSet(let n): return "networkSet \(n)"
        case .report(let n): return "report \(n)"
        case .podSecurity: return "podSecurity"
        case .expectation(let n): return "expectation \(n)"
        case .flows(let n): return "flows \(n)"
        case .cis(let n): return "cis \(n)"
        }
    }

    /// Each scope namespace enforces at least the pack's level, and its workloads satisfy it.
    static func podSecurity(pack: CompliancePack, scope: [String], objects: [ManifestObject]) -> PackEvidence {
        var details: [String] = []
        var ok = true
        let problems = ManifestProblems()
        let audit = PodSecurityAudit(objects: objects, policy: pack.podSecurity, problems: problems)
        for ns in scope {
            let labels = objects.first { $0.kind == "Namespace" && $0.group.isEmpty && $0.name == ns }.map { NamespaceSecurityLabels(labels: $0.labels) }
            let enforced = labels?.enforce ?? .privileged
            if enforced.level < pack.podSecurity.level {
                ok = false
                details.append("Namespace \(ns) enforces \(enforced); \(pack.podSecurity.level.rawValue) is required")
            } else {
                details.append("Namespace \(ns) enforces \(enforced)")
            }
            for r in audit.results where r.namespace == ns && !r.allowed {
                ok = false
                details.append("\(r.kind) \(ns)/\(r.name) violates \(pack.podSecurity): \(r.violations.map(\.message).joined(separator: "; "))")
            }
        }
        return PackEvidence(check: "podSecurity \(pack.podSecurity)", status: ok ? .pass : .fail, details: details)
    }

    /// Flows in the store that breach the pack during the window; `not-evaluated` without a store.
    static func flows(_ check: CompliancePack.FlowCheck, scope: [String], objects: [ManifestObject], data: String?, window: TimeWindow) throws -> PackEvidence {
        guard let data else {
            return PackEvidence(check: "flows \(check.id)", status: .notEvaluated, details: ["\(check.description) (give --data to look at observed flows)"])
        }
        let text = filterText(check.filter, scope: scope, objects: objects)
        let plan = QueryPlan(filter: try FilterProgram(parsing: text), window: window, format: .csv,
                             groupBy: try OutputField.list("src.namespace,src.name_aggr,dst.namespace,dst.name_aggr,dst.ip,dst.port,proto", option: "--group-by"),
                             top: 20)
        var out = OutputBuffer(target: .memory)
        let stats = try QueryEngine.run(plan, directory: data, into: &out)
        let rows = out.text.split(separator: "\n").dropFirst().map(String.init)
        var details = ["\(check.description): \(stats.flowsMatched) flow\(stats.flowsMatched == 1 ? "" : "s") observed in breach (filter: \(text))"]
        details += rows
        return PackEvidence(check: "flows \(check.id)", status: stats.flowsMatched == 0 ? .pass : .fail, details: details)
    }

    /// `$SCOPE` → the scope namespaces; `$LABELLED(key=value)` → namespaces with that label.
    static func filterText(_ template: String, scope: [String], objects: [ManifestObject]) -> String {
        let none = "flowlog-no-namespace"
        var text = template.replacingOccurrences(of: "$SCOPE", with: scope.isEmpty ? none : scope.joined(separator: ", "))
        while let start = text.range(of: "$LABELLED("), let end = text.range(of: ")", range: start.upperBound..<text.endIndex) {
            let pair = text[start.upperBound..<end.lowerBound].split(separator: "=", maxSplits: 1).map(String.init)
            let names = pair.count == 2 ? objects.filter { $0.kind == "Namespace" && $0.labels[pair[0]] == pair[1] }.map(\.name).sorted() : []
            text.replaceSubrange(start.lowerBound..<end.upperBound, with: names.isEmpty ? none : names.joined(separator: ", "))
        }
        return text
    }
}
