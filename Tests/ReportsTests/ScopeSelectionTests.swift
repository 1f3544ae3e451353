import FlowCore
import Policy
import Testing
@testable import Reports

/// spec.endpoints: selector × namespaces × service accounts, ANDed; names and selector within a group ANDed too.
@Suite struct ScopeSelectionTests {
    func names(_ selection: EndpointSelection) throws -> [String] {
        try ReportFixtures.document(try ReportFixtures.demoCluster, .inventory, selection).endpoints.map {
            "\($0.key.namespace)/\($0.key.name.split(separator: "-").first!)"
        }
    }

    func sel(_ text: String) throws -> Selector { try Selector(parsing: text) }

    @Test func eachGroupAloneAndTogether() throws {
        #expect(try names(.everything).count == 14)
        #expect(try names(EndpointSelection(selector: sel("app == 'api'"))) ==
                ["payments/api", "payments/api", "shop/api", "shop/api"])
        #expect(try names(EndpointSelection(namespaces: NameSelection(names: ["payments"]))) ==
                ["payments/api", "payments/api", "payments/postgres"])
        // Namespace labels: env == prod holds shop and payments.
        #expect(try names(EndpointSelection(namespaces: NameSelection(selector: sel("env == 'prod'")))).count == 11)
        // Both in one group must match: shop by name, prod by label.
        #expect(try names(EndpointSelection(namespaces: NameSelection(names: ["shop", "monitoring"], selector: sel("env == 'prod'")))).count == 8)
        #expect(try names(EndpointSelection(serviceAccounts: NameSelection(names: ["api"]))) ==
                ["payments/api", "payments/api", "shop/api", "shop/api"])
        // The three groups ANDed: api pods, running as account api, in shop only.
        let all = EndpointSelection(selector: try sel("app == 'api'"), namespaces: NameSelection(names: ["shop"]),
                                    serviceAccounts: NameSelection(names: ["api", "frontend"]))
        #expect(try names(all) == ["shop/api", "shop/api"])
        #expect(try names(EndpointSelection(selector: sel("app == 'api'"), serviceAccounts: NameSelection(names: ["frontend"]))).isEmpty)
    }

    @Test func serviceAccountLabelsAndHostEndpoints() throws {
        let cluster = try ReportFixtures.differencesCluster
        let robots = try ReportFixtures.document(cluster, .inventory,
                                                 EndpointSelection(serviceAccounts: NameSelection(selector: sel("automation == 'true'"))))
        #expect(robots.endpoints.map(\.key.name) == ["open-all"])
        // A host endpoint has no namespace: a namespace group leaves it out, a label selector can pick it.
        let byNamespace = try ReportFixtures.document(cluster, .inventory, EndpointSelection(namespaces: NameSelection(selector: .all)))
        #expect(!byNamespace.endpoints.contains { $0.key.kind == .hostEndpoint })
        let hosts = try ReportFixtures.document(cluster, .inventory, EndpointSelection(selector: sel("host == 'yes'")))
        #expect(hosts.endpoints.map(\.key.calicoName) == ["HostEndpoint(node-1-eth0)"])
        #expect(ReportSummary(hosts).namespacesInScope == 0)
    }
}
