import Testing
@testable import Audit

@Suite("kubectl-style object names")
struct ObjectKeyTests {
    @Test("names resolve to the right resource", arguments: [
        ("networkpolicies.networking.k8s.io/db/allow-shop", "networkpolicies", "networking.k8s.io", "db", "allow-shop"),
        ("knp/db/allow-shop", "networkpolicies", "networking.k8s.io", "db", "allow-shop"),
        ("networkpolicy/shop/default.allow-web", "networkpolicies", "projectcalico.org", "shop", "default.allow-web"),
        ("networkpolicy.projectcalico.org/shop/x", "networkpolicies", "projectcalico.org", "shop", "x"),
        ("globalnetworkpolicy/deny-all", "globalnetworkpolicies", "projectcalico.org", "", "deny-all"),
        ("GlobalNetworkPolicy/deny-all", "globalnetworkpolicies", "projectcalico.org", "", "deny-all"),
        ("gnp/deny-all", "globalnetworkpolicies", "projectcalico.org", "", "deny-all"),
        ("pod/shop/frontend-1", "pods", "", "shop", "frontend-1"),
        ("pods/shop/frontend-1", "pods", "", "shop", "frontend-1"),
        ("ns/shop", "namespaces", "", "", "shop"),
        ("tier/security", "tiers", "projectcalico.org", "", "security"),
    ])
    func parsing(text: String, resource: String, group: String, namespace: String, name: String) throws {
        let key = try ObjectKey(parsing: text)
        #expect(key.resource.resource == resource)
        #expect(key.resource.group == group)
        #expect(key.namespace == namespace)
        #expect(key.name == name)
        #expect(try ObjectKey(parsing: key.description) == key)
    }

    @Test("bad names say why", arguments: [
        ("configmap/x/y", "not a kind"), ("pod/frontend-1", "namespaced"), ("gnp/a/b", "cluster-scoped"), ("pod//x", "not KIND"),
    ])
    func badNames(text: String, reason: String) {
        do {
            _ = try ObjectKey(parsing: text)
            Issue.record("parsed \(text)")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
        }
    }
}
