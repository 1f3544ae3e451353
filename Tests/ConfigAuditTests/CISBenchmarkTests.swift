import ConfigAudit
import FlowCore
import Foundation
import Testing

/// CIS section 5 on clusters built to pass and to fail each test, 5.3.2 by the tier engine,
/// kube-bench import, and Calico's scoring and filters with dated, reasoned exclusions.
@Suite struct CISBenchmarkTests {
    static func results(_ fixture: String) throws -> [String: CISTestResult] {
        let list = try CISBenchmark.policyResults(clusterPaths: [FixtureFiles.path("cis/\(fixture)")])
        return Dictionary(uniqueKeysWithValues: list.map { ($0.number, $0) })
    }

    static func results(yaml: String) throws -> [String: CISTestResult] {
        let dir = NSTemporaryDirectory() + "flowlog-cis-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try yaml.write(toFile: dir + "/cluster.yaml", atomically: true, encoding: .utf8)
        let list = try CISBenchmark.policyResults(clusterPaths: [dir])
        return Dictionary(uniqueKeysWithValues: list.map { ($0.number, $0) })
    }

    static let informational: Set<String> = ["5.4.2", "5.5.1", "5.7.1"]

    @Test func everySection5TestIsReportedInNumberOrderWithTitleAndRemediation() throws {
        let list = try CISBenchmark.policyResults(clusterPaths: [FixtureFiles.path("cis/passing")])
        #expect(list.map(\.number) == [
            "5.1.1", "5.1.2", "5.1.3", "5.1.4", "5.1.5", "5.1.6", "5.1.7", "5.1.8", "5.1.9", "5.1.10", "5.1.11", "5.1.12", "5.1.13",
            "5.2.1", "5.2.2", "5.2.3", "5.2.4", "5.2.5", "5.2.6", "5.2.7", "5.2.8", "5.2.9", "5.2.10", "5.2.11", "5.2.12", "5.2.13",
            "5.3.1", "5.3.2", "5.4.1", "5.4.2", "5.5.1", "5.7.1", "5.7.2", "5.7.3", "5.7.4",
        ])
        for r in list {
            #expect(!r.title.isEmpty && !r.remediation.isEmpty && r.node == "cluster" && r.source == .apiObjects)
            #expect(r.scored == ["5.1.1", "5.1.2", "5.1.3", "5.1.4", "5.1.5", "5.1.6"].contains(r.number))
        }
    }

    @Test func theClusterBuiltToPassPassesEveryJudgedTest() throws {
        for (number, r) in try Self.results("passing") {
            if Self.informational.contains(number) {
                #expect(r.status == .info, "\(number)")
            } else {
                #expect(r.status == .pass, "\(number): \(r.offenders)")
                #expect(r.offenders.isEmpty)
            }
        }
    }

    @Test func theClusterBuiltToFailFailsEachTestAndNamesTheOffenders() throws {
        let r = try Self.results("failing")
        func offenders(_ n: String) -> [String] { r[n]!.offenders.map(\.object) }
        // Every test flowlog can judge fails (or, for the "minimize" tests, warns); the rest is INFO.
        for (number, result) in r {
            let expected: CISStatus = Self.informational.contains(number) || ["5.3.1", "5.4.2", "5.5.1"].contains(number) ? .info
                : ["5.1.4", "5.1.8", "5.1.9", "5.1.10", "5.1.11", "5.1.12", "5.1.13"].contains(number) ? .warn : .fail
            #expect(result.status == expected, "\(number): \(result.status)")
            if expected != .info { #expect(!result.offenders.isEmpty, "\(number)") }
        }
        #expect(offenders("5.1.1") == ["ClusterRoleBinding ci-admin"])
        // A broad group can read secrets: FAIL (the built-in cluster-admin binding is not counted).
        #expect(offenders("5.1.2") == ["ClusterRoleBinding ci-admin", "ClusterRoleBinding everyone-reads-secrets"])
        #expect(offenders("5.1.3") == ["Role legacy/anything"])
        #expect(offenders("5.1.5") == ["ServiceAccount legacy/default", "RoleBinding legacy/default-anything"])
        #expect(offenders("5.1.6") == ["Pod default/node-agent", "DaemonSet default/win-agent", "Pod legacy/web-0"])
        #expect(offenders("5.1.7") == ["ClusterRoleBinding break-glass"])
        #expect(offenders("5.2.1") == ["Namespace default", "Namespace legacy"])
        for n in ["5.2.2", "5.2.3", "5.2.6", "5.2.7", "5.2.8", "5.2.10", "5.2.13"] {
            #expect(offenders(n).contains("Pod legacy/web-0"), "\(n)")
        }
        #expect(offenders("5.2.4") == ["Namespace default", "Namespace legacy", "Pod default/node-agent"])
        #expect(offenders("5.2.5") == ["Namespace default", "Namespace legacy", "Pod default/node-agent"])
        #expect(offenders("5.2.11") == ["Namespace default", "Namespace legacy", "DaemonSet default/win-agent"])
        #expect(offenders("5.2.12") == ["Namespace default", "Namespace legacy", "Pod default/node-agent"])
        #expect(Set(offenders("5.3.2")) == ["Namespace default", "Namespace legacy"])
        #expect(r["5.3.2"]!.offenders.contains { $0.detail.contains("Kubernetes NetworkPolicy legacy/web-open") })
        #expect(r["5.3.2"]!.offenders.contains { $0.detail.contains("profile kns.default (no policy applies)") })
        #expect(offenders("5.4.1") == ["Pod legacy/web-0"])
        #expect(offenders("5.7.3") == ["Pod default/node-agent"])
        #expect(offenders("5.7.4") == ["Pod default/node-agent", "DaemonSet default/win-agent", "Service default/agent"])
    }

    static let namespace = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: team}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: app, namespace: team, labels: {app: app}}
        spec: {containers: [{name: app}]}
        status: {podIP: 10.1.0.5}
        ---

        """

    @Test func aNetworkPolicyIsNotEnoughOnlyEffectiveDefaultDenyBothWaysPasses() throws {
        let ingressOnly = try Self.results(yaml: Self.namespace + """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny-in, namespace: team}
            spec: {podSelector: {}, policyTypes: [Ingress]}
            """)
        #expect(ingressOnly["5.3.2"]?.status == .fail)
        #expect(ingressOnly["5.3.2"]!.offenders.allSatisfy { $0.detail.contains("egress is not default-deny") && !$0.detail.contains("ingress is not") })

        let labelSelected = try Self.results(yaml: Self.namespace + """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny-app, namespace: team}
            spec: {podSelector: {matchLabels: {app: app}}, policyTypes: [Ingress, Egress]}
            """)
        // The existing pod is isolated, but a new pod without that label would not be.
        #expect(labelSelected["5.3.2"]?.status == .fail)
        #expect(labelSelected["5.3.2"]!.offenders.map(\.detail).allSatisfy { $0.hasPrefix("any new pod in team") })

        let both = try Self.results(yaml: Self.namespace + """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny-all, namespace: team}
            spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web, namespace: team}
            spec:
              podSelector: {}
              policyTypes: [Ingress]
              ingress: [{ports: [{port: 443}]}]
            """)
        // An allow for one port is a decision, not an open door.
        #expect(both["5.3.2"]?.status == .pass)

        let passedThrough = try Self.results(yaml: Self.namespace + """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: default.pass-all}
            spec:
              tier: default
              selector: all()
              types: [Ingress, Egress]
              ingress: [{action: Allow}]
              egress: [{action: Allow}]
            """)
        #expect(passedThrough["5.3.2"]?.status == .fail)
    }

    @Test func kubeBenchOutputIsImportedPerNodeWithoutSection5() throws {
        let report = try CISBenchmark.run(
            clusterPaths: [], kubeBench: [CISBenchmark.KubeBenchFile(argument: FixtureFiles.path("kube-bench/control-plane-1.json")),
                                          CISBenchmark.KubeBenchFile(argument: "node-a=" + FixtureFiles.path("kube-bench/worker-1.json"))],
            settings: { var s = CISSettings(); s.includeUnscoredTests = true; return s }(), date: "2026-12-06")
        #expect(report.nodes.map(\.node) == ["control-plane-1", "node-a"])
        #expect(report.nodes.map(\.version) == ["1.29", "1.28"])
        let cp = report.results.filter { $0.node == "control-plane-1" }
        #expect(cp.map(\.number) == ["1.1.1", "1.1.2", "1.1.12", "1.2.1", "1.2.2"])
        #expect(cp.allSatisfy { $0.source == .kubeBench })
        let failed = try #require(cp.first { $0.number == "1.1.12" })
        #expect(failed.status == .fail && failed.scored && failed.sectionTitle == "Control Plane Node Configuration Files")
        #expect(failed.offenders == [CISOffender(object: "Node control-plane-1", detail: "actual: root:root; expected: 'etcd:etcd' is present")])
        #expect(failed.remediation.hasPrefix("On the etcd server node"))
        // Calico's counting: unknown = WARN + INFO, score = pass / (pass + fail).
        #expect(report.nodes[0].passing == 3 && report.nodes[0].failing == 1 && report.nodes[0].unknown == 1)
        #expect(report.nodes[0].score == 75 && report.nodes[0].rating == .med)
        #expect(report.nodes[1].score.map { abs($0 - 100.0 / 3) < 0.001 } == true && report.nodes[1].rating == .low)
        #expect(report.topFailed.map(\.number) == ["1.1.12", "4.2.1", "4.2.6"])
    }

    static func settings(_ yaml: String) throws -> CISSettings {
        let file = NSTemporaryDirectory() + "flowlog-cis-settings-\(UUID().uuidString).yaml"
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try CISSettings.load(path: file)
    }

    @Test func filtersThresholdsAndDatedExclusionsApplyAsConfigured() throws {
        let settings = try Self.settings("""
            highThreshold: 70
            medThreshold: 40
            numFailedTests: 1
            resultsFilters:
            - benchmarkSelection: {kubernetesVersion: "1.28"}
              include: ["4.2"]
            - exclude:
              - test: "1.1.12"
                reason: etcd runs on a managed host we do not administer
                expires: "2027-01-31"
              - test: "1.2"
                reason: expired acceptance
                expires: "2026-01-01"
            """)
        let files = [CISBenchmark.KubeBenchFile(argument: FixtureFiles.path("kube-bench/control-plane-1.json")),
                     CISBenchmark.KubeBenchFile(argument: FixtureFiles.path("kube-bench/worker-1.json"))]
        let report = try CISBenchmark.run(clusterPaths: [], kubeBench: files, settings: settings, date: "2026-12-06")
        // 1.28 node: only section 4.2, scored tests only (4.2.9 is unscored).
        #expect(report.results.filter { $0.node == "worker-1" }.map(\.number) == ["4.2.1", "4.2.6"])
        // 1.29 node: the second filter; 1.1.12 excluded with its reason; the 1.2 exclusion expired so 1.2.2 stays.
        #expect(report.results.filter { $0.node == "control-plane-1" }.map(\.number) == ["1.1.1", "1.1.2", "1.2.2"])
        #expect(report.excluded.map(\.result.number) == ["1.1.12"])
        #expect(report.excluded.first?.exclusion.reason == "etcd runs on a managed host we do not administer")
        #expect(report.expiredExclusions.map(\.test) == ["1.2"])
        #expect(report.nodes.map(\.rating) == [.high, .low])
        #expect(report.highNodes == 1 && report.lowNodes == 1 && report.topFailed.count == 1)

        let csv = CISReportFormat.csv(report)
        #expect(csv.hasPrefix("nodeName,testIndex,testDescription,status,scored,remediation,offendingObjects,exclusionReason,exclusionExpires\n"))
        #expect(csv.contains("etcd runs on a managed host we do not administer,2027-01-31"))
        let table = CISReportFormat.table(report)
        #expect(table.contains("expired on 2026-01-01"))
        let json = try CISReportFormat.json(report)
        #expect(json.contains("\"expiredExclusions\""))

        // On the day after it expires, the first exclusion stops applying too.
        let later = try CISBenchmark.run(clusterPaths: [], kubeBench: files, settings: settings, date: "2027-02-01")
        #expect(later.excluded.isEmpty)
        #expect(later.results.contains { $0.number == "1.1.12" })
    }

    @Test func anExclusionWithoutReasonOrExpiryIsAnErrorThatSaysWhere() throws {
        #expect {
            _ = try Self.settings("resultsFilters:\n- exclude:\n  - 1.1.12\n  - {test: 1.2.1, expires: 2027-01-01}\n  - {test: 1.2.2, reason: ok, expires: next year}\n")
        } throws: { error in
            let errors = (error as? ManifestError)?.errors ?? []
            return errors.count == 3
                && errors[0].message.contains("bare test number") && errors[0].location?.line == 3
                && errors[1].message.contains("reason is required") && errors[1].location?.line == 4
                && errors[2].message.contains("expires must be a date") && errors[2].location?.column != nil
        }
        // A GlobalReport's spec.cis is read the same way.
        let fromReport = try Self.settings("apiVersion: projectcalico.org/v3\nkind: GlobalReport\nmetadata: {name: cis}\nspec:\n  reportType: cis-benchmark\n  cis: {highThreshold: 90, includeUnscoredTests: true}\n")
        #expect(fromReport.highThreshold == 90 && fromReport.includeUnscoredTests)
    }

    @Test func malformedKubeBenchOutputIsAnErrorWithItsPosition() throws {
        let file = NSTemporaryDirectory() + "flowlog-kb-\(UUID().uuidString).json"
        try "{\"Controls\":[{\"id\":\"4\",\"tests\":[{\"section\":\"4.1\",\"results\":[{\"test_number\":\"4.1.1\",\"status\":\"MAYBE\"}]}]}]}".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect {
            _ = try CISBenchmark.run(clusterPaths: [], kubeBench: [.init(path: file)], settings: CISSettings(), date: "2026-12-06")
        } throws: { error in
            let e = (error as? ManifestError)?.errors.first
            return e?.message.contains("PASS, FAIL, WARN or INFO") == true && e?.location?.line == 1 && e?.location?.column != nil
        }
    }
}
