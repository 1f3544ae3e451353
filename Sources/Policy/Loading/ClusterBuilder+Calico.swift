import FlowCore

/// projectcalico.org/v3 Tier, (Staged)(Global)NetworkPolicy, (Global)NetworkSet, HostEndpoint, Profile.
extension ClusterBuilder {
    mutating func addTier(_ r: ManifestField, name: String) {
        let spec = r.child("spec")
        let order = spec?.double("order")
        var action = PolicyAction.deny
        if let a = spec?.child("defaultAction"), let text = a.scalarText {
            switch text {
            case "Deny": action = .deny
            case "Pass": action = .pass
            default: a.error("defaultAction must be Deny or Pass, not '\(text)'")
            }
        }
        if let builtIn = PolicyTier.builtIn.first(where: { $0.name == name }) {
            // Calico fixes built-in tiers' order and action; a manifest may only restate them.
            if let order, order != builtIn.order {
                spec?.child("order")?.warning("the built-in tier \(name) always has order \(Int(builtIn.order ?? 0)); \(order) is ignored")
            }
            if action != builtIn.defaultAction, spec?.child("defaultAction") != nil {
                spec?.child("defaultAction")?.warning("the built-in tier \(name) always has defaultAction \(builtIn.defaultAction == .pass ? "Pass" : "Deny")")
            }
            return
        }
        if let existing = cluster.tierDefinitions[name], existing.exists {
            r.error("Tier \(name) is defined more than once")
        }
        cluster.tierDefinitions[name] = PolicyTier(name: name, order: order, defaultAction: action, exists: true)
    }

    mutating func addCalicoPolicy(_ r: ManifestField, metadata: ManifestField, name: String, kind: PolicyKind) {
        let namespaced = kind.isNamespaced
        let namespace = namespaced ? (metadata.string("namespace") ?? "default") : ""
        let spec = r.child("spec")
        guard let spec, spec.isMapping else {
            r.error("missing required field spec")
            return
        }
        if spec.string("doNotTrack") == "true" || spec.string("preDNAT") == "true" {
            r.warning("doNotTrack/preDNAT policies act before connection tracking and are not evaluated per flow; skipped")
            return
        }
        let tier = spec.string("tier").flatMap { $0.isEmpty ? nil : $0 } ?? PolicyTier.defaultTierName
        var selector = spec.selector("selector") ?? .all
        if namespaced {
            selector = selector.and(.namespaceEquals(namespace))
        } else if let nsSelector = spec.selector("namespaceSelector") {
            selector = selector.replacingAll(with: .hasNamespace).and(nsSelector.namespaceScoped())
        }
        if let saSelector = spec.selector("serviceAccountSelector") {
            selector = selector.and(saSelector.serviceAccountScoped())
        }
        let ingress = spec.list("ingress").compactMap { rule($0, policyNamespace: namespace) }
        let egress = spec.list("egress").compactMap { rule($0, policyNamespace: namespace, egress: true) }
        for (key, count) in [("ingress", ingress.count), ("egress", egress.count)] where count > 1024 {
            spec.child(key)?.error("\(count) rules; at most 1024 per direction are allowed")
        }
        var appliesToIngress = !spec.list("ingress").isEmpty || spec.list("egress").isEmpty
        var appliesToEgress = !spec.list("egress").isEmpty
        if spec.child("types") != nil {
            appliesToIngress = false
            appliesToEgress = false
            for t in spec.list("types") {
                switch t.scalarText {
                case "Ingress": appliesToIngress = true
                case "Egress": appliesToEgress = true
                case let other: t.error("types entries must be Ingress or Egress, not '\(other ?? "")'")
                }
            }
        }
        var staged = StagedAction.set
        if kind.isStaged, let a = spec.child("stagedAction"), let text = a.scalarText {
            if let parsed = StagedAction(rawValue: text) { staged = parsed }
            else { a.error("stagedAction must be Set, Delete, Learn or Ignore, not '\(text)'") }
        }
        cluster.policies.append(ClusterPolicy(
            kind: kind, namespace: namespace, name: name, tier: tier, order: spec.double("order"),
            selector: selector, appliesToIngress: appliesToIngress, appliesToEgress: appliesToEgress,
            ingress: ingress, egress: egress, stagedAction: staged, origin: r.file))
    }

    mutating func addNetworkSet(_ r: ManifestField, metadata: ManifestField, name: String, global: Bool) {
        let namespace = global ? "" : (metadata.string("namespace") ?? "default")
        let nets = (r.child("spec")?.list("nets") ?? []).compactMap(Self.prefix)
        cluster.networkSets.append(ClusterNetworkSet(namespace: namespace, name: name, labels: metadata.labels("labels"), nets: nets))
    }

    mutating func addHostEndpoint(_ r: ManifestField, metadata: ManifestField, name: String) {
        let spec = r.child("spec")
        let ips = (spec?.list("expectedIPs") ?? []).compactMap(Self.address)
        var ports: [NamedPort] = []
        for port in spec?.list("ports") ?? [] {
            guard let portName = port.requiredString("name"), let number = port.integer("port", in: 1...65535) else { continue }
            let proto = port.child("protocol").flatMap(Self.protocolValue) ?? .tcp
            ports.append(NamedPort(name: portName, ipProtocol: proto, port: UInt16(number)))
        }
        let interfaceName = spec?.string("interfaceName") ?? ""
        if ips.isEmpty && interfaceName != "*" {
            r.warning("a host endpoint without expectedIPs cannot be matched to flows by address")
        }
        cluster.hostEndpoints.append(ClusterHostEndpoint(
            name: name, node: spec?.string("node") ?? "", interfaceName: interfaceName,
            labels: metadata.labels("labels"), expectedIPs: ips,
            profiles: spec?.stringList("profiles") ?? [], ports: ports, origin: r.file))
    }
}

extension ClusterBuilder {
    /// A `Profile`. `calicoctl get profiles` also lists the profiles Calico derives from
    /// namespaces (`kns.`), service accounts (`ksa.`) and the built-in default-allow one; those
    /// are rebuilt from their sources, so a restated copy is not read.
    mutating func addProfile(_ r: ManifestField, metadata: ManifestField, name: String) {
        if name.hasPrefix("kns.") || name.hasPrefix("ksa.") || name == ClusterProfile.defaultAllowName { return }
        let spec = r.child("spec")
        let ingress = spec?.list("ingress").compactMap { rule($0, policyNamespace: "") } ?? []
        let egress = spec?.list("egress").compactMap { rule($0, policyNamespace: "", egress: true) } ?? []
        for (key, count) in [("ingress", ingress.count), ("egress", egress.count)] where count > 1024 {
            spec?.child(key)?.error("\(count) rules; at most 1024 per direction are allowed")
        }
        if cluster.profiles[name] != nil { r.error("Profile \(name) is defined more than once") }
        cluster.profiles[name] = ClusterProfile(name: name, labelsToApply: spec?.labels("labelsToApply") ?? [:],
                                                ingress: ingress, egress: egress, origin: r.file)
    }
}
