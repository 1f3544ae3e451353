import Foundation
import Testing

/// `flowlog report run` end to end where Calico's definitions and flowlog's reading differ, and
/// the scope a GlobalReport's `spec.endpoints` selects, read from the CSV files the command writes.
@Suite struct ReportDefinitionCommandTests {
    static let root = FlowlogRunner.packageRoot.path
    static let differences = root + "/Tests/ReportsTests/Fixtures/differences/cluster.yaml"

    /// Runs a GlobalReport whose `spec` block is `spec` and returns its output directory.
    static func run(spec: String, cluster: String) throws -> String {
        let work = FlowlogRunner.temporaryPath("report-definitions")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try """
        apiVersion: projectcalico.org/v3
        kind: GlobalReport
        metadata: {name: definitions}
        spec:
        \(spec)

        """.write(toFile: work + "/spec.yaml", atomically: true, encoding: .utf8)
        let result = try FlowlogRunner.run(["report", "run", "--spec", work + "/spec.yaml", "--cluster", cluster,
                                            "--start", "2026-11-02T09:00:00Z", "--end", "2026-11-02T10:00:00Z", "--output", work + "/out"])
        try #require(result.status == 0, "\(result.stderr)")
        return work + "/out"
    }

    /// Per pod: Calico's six flags (endpoints.csv), then flowlog's six (endpoints-flowlog.csv), in
    /// the order ingress/egress protected or default-deny, from/to the internet, from/to other
    /// namespaces. Worked out by hand from the fixture (DefinitionDifferenceTests says why for each).
    static let expected: [(endpoint: String, calico: String, flowlog: String)] = [
        // An allow-all policy: protected for Calico, no default deny.
        ("Pod.v1(alpha/open-all)", "true,true,true,true,true,true", "false,false,true,true,true,true"),
        // A Pass-only policy: protected and unexposed for Calico; the profile allows what it passes.
        ("Pod.v1(alpha/pass-only)", "true,true,false,false,false,false", "false,false,true,true,true,true"),
        // Allow 0.0.0.0/0 after a match-all Deny: Calico counts the unreachable rule.
        ("Pod.v1(alpha/after-deny)", "true,false,true,false,false,false", "true,false,false,true,false,true"),
        // 10.0.0.0/7: private for Calico (it starts at 10.0.0.0); it holds 11.0.0.0/8 and beta's pod.
        ("Pod.v1(alpha/wide-net)", "true,false,false,false,false,false", "true,false,true,true,true,true"),
        // fd00::/8: the internet for Calico; unique-local, and beta's fd00:2::1 is inside.
        ("Pod.v1(alpha/ula-net)", "true,false,true,false,false,false", "true,false,false,true,true,true"),
        // A network set selector: Calico reads "other namespaces"; resolved, 10.0.0.0/7 reaches the internet.
        ("Pod.v1(alpha/legacy-db)", "true,false,false,false,true,false", "true,false,true,true,false,true"),
        ("Pod.v1(beta/client)", "false,false,false,false,false,false", "false,false,true,true,true,true"),
    ]

    @Test func calicoAndFlowlogColumnsDifferAsWorkedOut() throws {
        let output = try Self.run(spec: "  reportType: network-access", cluster: Self.differences)
        defer { try? FileManager.default.removeItem(atPath: (output as NSString).deletingLastPathComponent) }
        let calico = try ReportCommandTests.csv(output + "/endpoints.csv")
        let flowlog = try ReportCommandTests.csv(output + "/endpoints-flowlog.csv")
        let calicoColumns = ["ingressProtected", "egressProtected", "ingressFromInternet", "egressToInternet",
                             "ingressFromOtherNamespace", "egressToOtherNamespace"]
        let flowlogColumns = ["ingressDefaultDeny", "egressDefaultDeny", "reachableFromInternet", "reachesInternet",
                              "reachableFromOtherNamespace", "reachesOtherNamespace"]
        for want in Self.expected {
            let c = try #require(calico.first { $0["endpoint"] == want.endpoint }, "\(want.endpoint) not in endpoints.csv")
            let f = try #require(flowlog.first { $0["endpoint"] == want.endpoint }, "\(want.endpoint) not in endpoints-flowlog.csv")
            #expect(calicoColumns.map { c[$0]! }.joined(separator: ",") == want.calico, "\(want.endpoint) Calico")
            #expect(flowlogColumns.map { f[$0]! }.joined(separator: ",") == want.flowlog, "\(want.endpoint) flowlog")
            // flowlog's file repeats Calico's protected flags beside its own.
            #expect(f["calicoIngressProtected"] == c["ingressProtected"] && f["calicoEgressProtected"] == c["egressProtected"])
        }
        // The host endpoint: no policy and no profile, so every packet is dropped; Calico says unprotected.
        let host = try #require(flowlog.first { $0["endpoint"] == "HostEndpoint(node-1-eth0)" })
        #expect(host["calicoIngressProtected"] == "false" && host["ingressDefaultDeny"] == "true" && host["egressDefaultDeny"] == "true")
        #expect(calico.count == 8 && flowlog.count == 8)
        // Summary counts: Calico's columns of summary.csv from the rows above.
        let summary = try #require(try ReportCommandTests.csv(output + "/summary.csv").first)
        #expect(summary["endpointsNumIngressProtected"] == "6" && summary["endpointsNumIngressUnprotected"] == "2")
        #expect(summary["endpointsNumIngressFromInternet"] == "3" && summary["endpointsNumEgressToInternet"] == "1")
        // A configured private range changes flowlog's reading only.
        let wider = try FlowlogRunner.run(["report", "run", "--spec", (output as NSString).deletingLastPathComponent + "/spec.yaml",
                                           "--cluster", Self.differences, "--private-nets", "10.0.0.0/8,11.0.0.0/8,fc00::/7",
                                           "--start", "2026-11-02T09:00:00Z", "--end", "2026-11-02T10:00:00Z", "--output", output + "-wider"])
        try #require(wider.status == 0, "\(wider.stderr)")
        let wide = try #require(try ReportCommandTests.csv(output + "-wider/endpoints-flowlog.csv").first { $0["endpoint"] == "Pod.v1(alpha/wide-net)" })
        #expect(wide["reachableFromInternet"] == "false")
        #expect(try ReportCommandTests.csv(output + "-wider/endpoints.csv") == calico)
    }

    @Test func scopeIsSelectorAndNamespacesAndServiceAccounts() throws {
        let demo = Self.root + "/samples/cluster"
        func endpoints(_ spec: String, cluster: String = demo) throws -> (rows: [String], summary: [String: String]) {
            let output = try Self.run(spec: "  reportType: inventory\n" + spec, cluster: cluster)
            defer { try? FileManager.default.removeItem(atPath: (output as NSString).deletingLastPathComponent) }
            // Pod.v1(shop/api-7c9d8-x2k4p) → shop/api
            let rows = try ReportCommandTests.csv(output + "/endpoints.csv").map { row -> String in
                let parts = row["endpoint"]!.dropFirst("Pod.v1(".count).dropLast().split(separator: "/")
                guard row["endpoint"]!.hasPrefix("Pod.v1("), parts.count == 2 else { return row["endpoint"]! }
                return "\(parts[0])/\(parts[1].split(separator: "-")[0])"
            }
            return (rows, try #require(try ReportCommandTests.csv(output + "/summary.csv").first))
        }
        // No endpoints block: every endpoint of the demo (14 pods).
        #expect(try endpoints("").rows.count == 14)
        // Each group alone.
        #expect(try endpoints("  endpoints: {selector: app == 'api'}").rows ==
                ["payments/api", "payments/api", "shop/api", "shop/api"])
        #expect(try endpoints("  endpoints: {namespaces: {selector: env == 'prod'}}").rows.count == 11)
        #expect(try endpoints("  endpoints: {serviceAccounts: {names: [api]}}").rows.count == 4)
        // All three ANDed: api pods, in shop, running as api or frontend; the summary repeats the scope.
        let all = try endpoints("""
              endpoints:
                selector: app == 'api'
                namespaces: {names: [shop]}
                serviceAccounts: {names: [api, frontend]}
            """)
        #expect(all.rows == ["shop/api", "shop/api"])
        #expect(all.summary["endpointSelector"] == "app == \"api\"" && all.summary["namespaceNames"] == "shop")
        #expect(all.summary["serviceAccountNames"] == "api;frontend" && all.summary["endpointsNumInScope"] == "2")
        #expect(all.summary["namespacesNumInScope"] == "1" && all.summary["serviceAccountsNumInScope"] == "1")
        // Names and selector of one group are ANDed too: shop by name and prod by label, monitoring is not prod.
        #expect(try endpoints("  endpoints: {namespaces: {names: [shop, monitoring], selector: env == 'prod'}}").rows.count == 8)
        // A service-account label selector.
        #expect(try endpoints("  endpoints: {serviceAccounts: {selector: automation == 'true'}}", cluster: Self.differences).rows ==
                ["alpha/open"])
        // A selector that matches nothing: an empty report, not an error.
        let none = try endpoints("  endpoints: {selector: app == 'nothing'}")
        #expect(none.rows.isEmpty && none.summary["endpointsNumInScope"] == "0")
    }
}
