import FlowCore

/// What platform and security teams add around the application policies in a real cluster:
/// per-namespace guard rails (quarantine, blocked egress, Pass for in-namespace traffic), partner
/// network sets per namespace, cluster-wide sets, and staged policies that preview a change.
///
/// None of it changes a verdict of the generated traffic, so the capture's allowed and denied
/// connections still follow from `allowed`: the Deny rules name pods (`quarantine`) or ports
/// (egress 22) the traffic never uses, the Pass rules sit in tiers whose default is Pass anyway,
/// ordered after every policy there that decides, and staged policies only change pending traces.
/// What they do change is the work per flow: more policies select every pod, more rules are
/// tested before the deciding one, and more addresses fall in network sets.
extension PolicyCatalog {
    /// The cluster-wide sets: link-local metadata (never reached), a corporate VPN range (never
    /// seen), and the upper half of the internet range, where monitoring vendors live.
    static let cloudMetadata = (v4: "169.254.169.254/32", v6: "fd00:ec2::254/128")
    static let corporateVPN = (v4: "10.8.0.0/16", v6: "fd00:8::/32")
    static let monitoringVendors = (v4: "198.19.0.0/16", v6: "2001:db8:300:8000::/49")

    mutating func addGuardrails(_ cluster: ClusterPlan) {
        networkSets.append(Manifests.calico("GlobalNetworkSet", name: "cloud-metadata", labels: [("sensitive", "metadata")], spec: [
            ("nets", .strings([Self.cloudMetadata.v4, Self.cloudMetadata.v6])),
        ]))
        networkSets.append(Manifests.calico("GlobalNetworkSet", name: "corporate-vpn", labels: [("access", "vpn")], spec: [
            ("nets", .strings([Self.corporateVPN.v4, Self.corporateVPN.v6])),
        ]))
        networkSets.append(Manifests.calico("GlobalNetworkSet", name: "monitoring-vendors", labels: [("vendor", "monitoring")], spec: [
            ("nets", .strings([Self.monitoringVendors.v4, Self.monitoringVendors.v6])),
        ]))
        let everyEndpoint: [(String, YAMLNode)] = [("selector", .string("all()"))]
        globalPolicies.append(Manifests.calico("GlobalNetworkPolicy", name: "deny-cloud-metadata", spec: [
            ("tier", .string(securityTier)), ("order", .int(5)), ("selector", .string("all()")),
            ("types", .strings(["Egress"])),
            ("egress", .list([Manifests.rule("Deny", destination: [("selector", .string("sensitive == 'metadata'"))])])),
        ]))
        // Operators' SSH from the VPN; nothing in the capture comes from there.
        globalPolicies.append(Manifests.calico("GlobalNetworkPolicy", name: "allow-vpn-ssh", spec: [
            ("tier", .string(platformTier)), ("order", .int(50)), ("selector", .string("has(app)")),
            ("types", .strings(["Ingress"])),
            ("ingress", .list([Manifests.rule("Allow", protocol: "TCP", source: [("selector", .string("access == 'vpn'"))],
                                              destination: [("ports", .list([.int(22)]))])])),
        ]))
        // What security means to enforce next quarter: no egress to the internet at all.
        stagedPolicies.append(Manifests.calico("StagedGlobalNetworkPolicy", name: "deny-internet-egress", spec: [
            ("tier", .string(securityTier)), ("order", .int(30)),
            ("selector", .string("projectcalico.org/namespace != 'kube-system'")),
            ("types", .strings(["Egress"])),
            ("egress", .list([
                Manifests.rule("Deny", destination: [("nets", .strings([ExternalGroup.internet.networkV4.description]))]),
                Manifests.rule("Deny", destination: [("nets", .strings([ExternalGroup.internet.networkV6.description]))]),
            ])),
        ]))
        for (i, ns) in cluster.applicationNamespaces.enumerated() {
            let name = cluster.namespaces[ns].name
            let team = cluster.namespaces[ns].labels.first { $0.0 == "team" }?.1 ?? name
            // A /24 (and /64) of the internet range per namespace: the first few hold hosts the
            // traffic reaches, so flows there are identified by a namespaced set.
            networkSets.append(Manifests.calico("NetworkSet", name: "egress-partners", namespace: name,
                                                labels: [("role", "egress-partner"), ("team", team)], spec: [
                ("nets", .strings(["198.18.\(i % 256).0/24", "2001:db8:300:\(String(i % 0x8000, radix: 16))::/64"])),
            ]))
            networkPolicies.append(Manifests.calico("NetworkPolicy", name: "namespace-guard", namespace: name, spec: [
                ("tier", .string(platformTier)), ("order", .int(900)), ("selector", .string("all()")),
                ("types", .strings(["Ingress", "Egress"])),
                ("ingress", .list([
                    Manifests.rule("Deny", source: [("selector", .string("quarantine == 'true'")),
                                                    ("namespaceSelector", .string("all()"))]),
                    Manifests.rule("Pass", source: everyEndpoint),
                ])),
                ("egress", .list([
                    Manifests.rule("Deny", protocol: "TCP", destination: [("selector", .string("role == 'egress-partner'")),
                                                                          ("ports", .list([.int(22)]))]),
                    .map([("action", .string("Log")), ("protocol", .string("UDP")),
                          ("destination", .map([("ports", .list([.int(123)]))]))]),
                    Manifests.rule("Pass", destination: everyEndpoint),
                ])),
            ]))
            if i % 4 == 1 {
                stagedPolicies.append(.map([
                    ("apiVersion", .string(Manifests.calicoAPI)),
                    ("kind", .string("StagedKubernetesNetworkPolicy")),
                    ("metadata", Manifests.metadata(name: "default-deny-egress", namespace: name)),
                    ("spec", .map([("podSelector", .map([])), ("policyTypes", .strings(["Egress"]))])),
                ]))
            }
            if i % 5 == 2 {
                // Previewing the removal of the guard: `Delete` takes it out of the pending path.
                stagedPolicies.append(Manifests.calico("StagedNetworkPolicy", name: "namespace-guard", namespace: name, spec: [
                    ("stagedAction", .string("Delete")), ("tier", .string(platformTier)), ("order", .int(900)),
                    ("selector", .string("all()")),
                ]))
            }
        }
    }
}
