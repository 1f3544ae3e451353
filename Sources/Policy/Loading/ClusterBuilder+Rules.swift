import FlowCore

/// Calico rules (§3) and their EntityRules with the selector scoping of §2.6.
extension ClusterBuilder {
    /// `egress`: the rule is an egress rule (the only place `destination.domains` is valid).
    func rule(_ f: ManifestField, policyNamespace: String, egress: Bool = false) -> PolicyRule? {
        guard f.isMapping else {
            f.error("a rule must be a map")
            return nil
        }
        guard let actionText = f.requiredString("action") else { return nil }
        guard let action = RuleAction(rawValue: actionText) else {
            f.child("action")?.error("action must be Allow, Deny, Pass or Log, not '\(actionText)'")
            return nil
        }
        var rule = PolicyRule(action: action)
        if let v = f.integer("ipVersion", in: 4...6) {
            guard v == 4 || v == 6 else {
                f.child("ipVersion")?.error("ipVersion must be 4 or 6")
                return nil
            }
            rule.ipVersion = v == 4 ? .v4 : .v6
        }
        rule.ipProtocol = f.child("protocol").flatMap(Self.protocolValue)
        rule.notProtocol = f.child("notProtocol").flatMap(Self.protocolValue)
        rule.icmp = f.child("icmp").flatMap(Self.icmp)
        rule.notICMP = f.child("notICMP").flatMap(Self.icmp)
        if rule.icmp != nil || rule.notICMP != nil {
            guard let p = rule.ipProtocol, p.isICMP else {
                f.error("icmp/notICMP require protocol ICMP or ICMPv6")
                return nil
            }
        }
        if rule.ipProtocol == .icmp, rule.ipVersion == .v6 { f.error("protocol ICMP requires ipVersion 4") }
        if rule.ipProtocol == .icmpv6, rule.ipVersion == .v4 { f.error("protocol ICMPv6 requires ipVersion 6") }
        if let s = f.child("source") { rule.source = entity(s, policyNamespace: policyNamespace) }
        if let d = f.child("destination") { rule.destination = entity(d, policyNamespace: policyNamespace) }
        let versions = Set((rule.source.nets + rule.source.notNets + rule.destination.nets + rule.destination.notNets).map(\.address.version))
        if versions.count > 1 {
            f.error("nets/notNets mix IPv4 and IPv6 in one rule")
        } else if let v = versions.first, let wanted = rule.ipVersion, v != wanted {
            f.error("nets/notNets are IPv\(v.rawValue) but ipVersion is \(wanted.rawValue)")
        }
        let ports = rule.source.ports + rule.source.notPorts + rule.destination.ports + rule.destination.notPorts
        if !ports.isEmpty {
            // Calico 3.32's validator: without a protocol, ports are allowed when every one of
            // them is named (Felix then resolves the name for whatever protocol the endpoint
            // declares it with); numeric ports and ranges still need a protocol with ports.
            let allNamed = ports.allSatisfy { if case .named = $0 { return true } else { return false } }
            if let p = rule.ipProtocol {
                guard p == .tcp || p == .udp || p == .sctp else {
                    f.error("ports/notPorts require protocol TCP, UDP or SCTP")
                    return nil
                }
            } else if !allNamed {
                f.error("numeric ports/notPorts require protocol TCP, UDP or SCTP (only named ports may go without a protocol)")
                return nil
            }
        }
        if !rule.source.domains.isEmpty {
            f.child("source")?.child("domains")?.error("domains are only valid in the destination of an egress Allow rule")
            return nil
        }
        if !rule.destination.domains.isEmpty, !egress || action != .allow {
            f.child("destination")?.child("domains")?.error("domains are only valid in the destination of an egress Allow rule")
            return nil
        }
        if f.child("http") != nil {
            f.child("http")?.warning("http match criteria need application-layer policy and are ignored here")
        }
        return rule
    }

    private static func icmp(_ f: ManifestField) -> ICMPMatch? {
        let type = f.integer("type", in: 0...254)
        let code = f.integer("code", in: 0...255)
        guard let type else {
            if code != nil { f.error("icmp code requires a type") }
            return nil
        }
        return ICMPMatch(type: UInt8(type), code: code.map(UInt8.init))
    }

    private func entity(_ f: ManifestField, policyNamespace: String) -> EntityMatch {
        var e = EntityMatch()
        e.nets = f.list("nets").compactMap(Self.prefix)
        e.notNets = f.list("notNets").compactMap(Self.prefix)
        for (key, count, limit) in [("nets", e.nets.count, 256), ("notNets", e.notNets.count, 256)] where count > limit {
            f.child(key)?.error("\(count) entries; at most \(limit) are allowed")
        }
        e.domains = f.list("domains").compactMap(Self.domainPattern)
        if e.domains.count > 256 { f.child("domains")?.error("\(e.domains.count) entries; at most 256 are allowed") }
        e.ports = f.list("ports").compactMap(Self.port)
        e.notPorts = f.list("notPorts").compactMap(Self.port)
        for (key, count) in [("ports", e.ports.count), ("notPorts", e.notPorts.count)] where count > 50 {
            f.child(key)?.error("\(count) entries; at most 50 are allowed")
        }
        let selector = f.selector("selector")
        let notSelector = f.selector("notSelector")
        let namespaceSelector = f.selector("namespaceSelector", allowsGlobal: true)
        var serviceAccountParts: [Selector] = []
        if let sa = f.child("serviceAccounts") {
            let names = sa.stringList("names")
            if !names.isEmpty { serviceAccountParts.append(.serviceAccountIn(names)) }
            if let s = sa.selector("selector") { serviceAccountParts.append(s.serviceAccountScoped()) }
        }
        e.notSelector = notSelector
        var positive: Selector? = selector
        if let namespaceSelector {
            e.namesNamespaceSelector = true
            positive = (selector ?? .all).and(namespaceSelector.namespaceScoped())
        } else if !policyNamespace.isEmpty, selector != nil || notSelector != nil || !serviceAccountParts.isEmpty {
            positive = (selector ?? .all).and(.namespaceEquals(policyNamespace))
        }
        for part in serviceAccountParts { positive = (positive ?? .all).and(part) }
        e.selector = positive
        if let services = f.child("services") {
            guard let name = services.requiredString("name") else { return e }
            let namespace = services.string("namespace") ?? policyNamespace
            if namespace.isEmpty { services.error("services.namespace is required in a global policy") }
            e.service = ServiceReference(namespace: namespace, name: name)
        }
        return e
    }

    /// A domain name, lowercase, optionally with one `*` label standing for one or more labels
    /// (`*.example.com`, `www.*.com`); a trailing dot is dropped.
    private static func domainPattern(_ f: ManifestField) -> String? {
        guard let text = f.scalarText else { return nil }
        let name = text.hasSuffix(".") ? String(text.dropLast()) : text
        let labels = name.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        let validLabel: (Substring) -> Bool = { label in
            label == "*" || (!label.isEmpty && label.utf8.count <= 63 && label.utf8.allSatisfy {
                ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
            })
        }
        guard !name.isEmpty, name.utf8.count <= 253, labels.allSatisfy(validLabel), labels.filter({ $0 == "*" }).count <= 1,
              labels.count > 1 || labels[0] != "*" else {
            f.error("'\(text)' is not a domain name (letters, digits, '-', '_', at most one '*' label)")
            return nil
        }
        return labels.joined(separator: ".")
    }

    /// An int, `"min:max"`, or a named port.
    private static func port(_ f: ManifestField) -> PortMatch? {
        guard let text = f.scalarText else { return nil }
        if let n = Int(text) {
            guard (0...65535).contains(n) else { f.error("port \(n) is outside 0...65535"); return nil }
            return .range(UInt16(n), UInt16(n))
        }
        let bounds = text.split(separator: ":", omittingEmptySubsequences: false)
        if bounds.count == 2 {
            guard let lo = Int(bounds[0]), let hi = Int(bounds[1]), 0 <= lo, lo <= hi, hi <= 65535 else {
                f.error("'\(text)' is not a port range min:max within 0...65535")
                return nil
            }
            return .range(UInt16(lo), UInt16(hi))
        }
        let valid = !text.isEmpty && text.utf8.count <= 128 && text.utf8.allSatisfy {
            SelectorLexer.isLabelByte($0) && $0 != UInt8(ascii: "/")
        }
        guard valid else {
            f.error("'\(text)' is not a port number, range or port name")
            return nil
        }
        return .named(text)
    }
}
