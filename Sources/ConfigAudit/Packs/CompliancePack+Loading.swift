import FlowCore
import Foundation
import Yams

extension CompliancePack {
    /// Reads one pack file (`kind: CompliancePack`); every problem is reported with its position.
    public static func load(path: String, limits: ManifestLimits = .standard) throws -> CompliancePack {
        var reader = ManifestDocumentReader(limits: limits)
        return try pack(reader.documents(path: path), reader: reader, source: path)
    }

    /// The same, from text held in memory; `name` stands in for the file in errors.
    public static func load(text: String, name: String, limits: ManifestLimits = .standard) throws -> CompliancePack {
        var reader = ManifestDocumentReader(limits: limits)
        return try pack(reader.documents(text: text, file: name), reader: reader, source: name)
    }

    private static func pack(_ documents: [ManifestNode], reader: ManifestDocumentReader, source path: String) throws -> CompliancePack {
        guard let root = documents.first else {
            reader.problems.add(FlowlogError(.validation, "no pack document", location: .init(file: path)))
            throw ManifestError(errors: reader.problems.errors)
        }
        let pack = CompliancePack(root, source: path)
        if !reader.problems.errors.isEmpty { throw ManifestError(errors: reader.problems.errors) }
        return pack
    }

    /// A node as YAML text (the pack keeps specs as text so it is `Sendable`).
    static func text(_ node: ManifestNode) -> String {
        do {
            return try Yams.serialize(node: node.node)
        } catch {
            node.error("cannot be written back as YAML: \(error)")
            return "{}"
        }
    }

    init(_ root: ManifestNode, source: String) {
        if root.string("kind") != "CompliancePack" { (root.child("kind") ?? root).error("kind must be CompliancePack") }
        let metadata = root.object("metadata")
        let spec = root.object("spec")
        name = metadata?.string("name") ?? ""
        if name.isEmpty { root.error("missing required field metadata.name") }
        self.source = source
        title = spec?.string("title") ?? name
        summary = spec?.string("summary") ?? ""
        let tierNode = spec?.object("tier")
        let tierName = tierNode?.string("name") ?? ""
        if tierName.isEmpty { (tierNode ?? root).error("missing required field spec.tier.name") }
        var order = 100.0
        if let text = tierNode?.string("order") {
            if let v = Double(text), v.isFinite, v >= 0 { order = v } else { tierNode?.child("order")?.error("'\(text)' is not a non-negative number") }
        }
        tier = Tier(name: tierName, order: order)

        var policy = PodSecurityPolicy(level: .restricted)
        if let pss = spec?.object("podSecurity") {
            if let text = pss.string("level") {
                if let level = PodSecurityLevel(label: text) { policy.level = level } else { pss.child("level")?.error("level must be privileged, baseline or restricted") }
            }
            if let text = pss.string("version") {
                if let version = PodSecurityVersion(label: text) { policy.version = version } else { pss.child("version")?.error("version must be latest or v1.N") }
            }
        }
        podSecurity = policy

        // A nameless set or report would render as an object without metadata.name, which no
        // cluster (and not our own manifest reader) accepts: refuse it where it is written.
        networkSets = (spec?.list("networkSets") ?? []).compactMap { set in
            guard let name = set.string("name"), !name.isEmpty else {
                set.error("a network set needs a name")
                return nil
            }
            return (name, set.stringMap("labels"), set.stringList("nets"))
        }
        policies = (spec?.list("policies") ?? []).compactMap { p in
            guard let name = p.string("name"), !name.isEmpty, let body = p.object("spec") else {
                p.error("a policy needs name and spec")
                return nil
            }
            return (name, Self.text(body))
        }
        namespaced = (spec?.list("namespacedObjects") ?? []).compactMap { o in
            guard let apiVersion = o.string("apiVersion"), let kind = o.string("kind"), let name = o.string("name"), let body = o.object("spec") else {
                o.error("a namespaced object needs apiVersion, kind, name and spec")
                return nil
            }
            return (apiVersion, kind, name, Self.text(body))
        }
        reports = (spec?.list("reports") ?? []).compactMap { r in
            guard let name = r.string("name"), !name.isEmpty else {
                r.error("a report needs a name")
                return nil
            }
            return (name, r.string("reportType") ?? "", r.string("schedule") ?? "")
        }
        var endpoints: [String: Endpoint] = [:]
        if let map = spec?.object("endpoints") {
            for key in map.keys {
                guard let e = map.object(key) else { continue }
                if let address = e.string("address") {
                    if IPAddress(address) == nil { e.child("address")?.error("'\(address)' is not an IP address") }
                    endpoints[key] = .address(address)
                } else if let pod = e.object("pod") {
                    endpoints[key] = .pod(namespace: pod.string("namespace") ?? "default", labels: pod.stringMap("labels"))
                } else if let ns = e.object("namespace") {
                    endpoints[key] = .namespace(labels: ns.stringMap("labels"))
                } else {
                    e.error("an endpoint is an address, a pod or a namespace")
                }
            }
        }
        self.endpoints = endpoints
        let known = Set(endpoints.keys).union(["scope"])
        expectations = (spec?.list("expectations") ?? []).compactMap { x in
            let id = x.string("id") ?? ""
            let from = x.string("from") ?? "", to = x.string("to") ?? ""
            for (field, value) in [("from", from), ("to", to)] where !known.contains(value) {
                (x.child(field) ?? x).error("expectation \(id): unknown endpoint '\(value)'")
            }
            if from != "scope" && to != "scope" { x.error("expectation \(id): from or to must be scope") }
            let proto = x.string("protocol") ?? "TCP"
            guard let port = x.integer("port", in: 0...65535) else {
                x.error("expectation \(id): missing port")
                return nil
            }
            let action = x.string("pack")
            if let action, !["allow", "pass", "deny"].contains(action) { x.child("pack")?.error("pack must be allow, pass or deny") }
            let verdict = x.string("verdict")
            if let verdict, verdict != "allow", verdict != "deny" { x.child("verdict")?.error("verdict must be allow or deny") }
            if action == nil && verdict == nil { x.error("expectation \(id): give pack, verdict or both") }
            return Expectation(id: id, from: from, to: to, ipProtocol: proto, port: UInt16(port), packAction: action, verdict: verdict)
        }
        flowChecks = (spec?.list("flowChecks") ?? []).map { f in
            FlowCheck(id: f.string("id") ?? "", description: f.string("description") ?? "", filter: f.string("filter") ?? "")
        }
        let expectationIDs = Set(expectations.map(\.id)), flowIDs = Set(flowChecks.map(\.id))
        let policyNames = Set(policies.map(\.name)), setNames = Set(networkSets.map(\.name)), reportNames = Set(reports.map(\.name))
        controls = (spec?.list("controls") ?? []).map { c in
            let checks: [Check] = c.list("checks").compactMap { node in
                guard node.isMapping, let key = node.keys.first, node.keys.count == 1 else {
                    node.error("a check is one of tier, policy, networkSet, report, podSecurity, expectation, flows, cis")
                    return nil
                }
                let value = node.string(key) ?? ""
                func known(_ set: Set<String>, _ what: String) -> Bool {
                    if set.contains(value) { return true }
                    node.error("\(what) '\(value)' is not defined in this pack")
                    return false
                }
                switch key {
                case "tier": return .tier
                case "podSecurity": return .podSecurity
                case "policy": return known(policyNames, "policy") ? .policy(value) : nil
                case "networkSet": return known(setNames, "network set") ? .networkSet(value) : nil
                case "report": return known(reportNames, "report") ? .report(value) : nil
                case "expectation": return known(expectationIDs, "expectation") ? .expectation(value) : nil
                case "flows": return known(flowIDs, "flow check") ? .flows(value) : nil
                case "cis":
                    guard CISCatalog.controls.contains(where: { $0.number == value }) else {
                        node.error("'\(value)' is not a CIS section 5 test flowlog judges")
                        return nil
                    }
                    return .cis(value)
                default:
                    node.error("unknown check '\(key)'")
                    return nil
                }
            }
            return Control(id: c.string("id") ?? "", title: c.string("title") ?? "", checks: checks)
        }
    }
}

/// The packs shipped in the repository, and packs read from a directory.
public enum CompliancePackLibrary {
    /// The directory of the packs that ship with flowlog.
    public static var bundledDirectory: String? {
        Bundle.module.url(forResource: "packs", withExtension: nil)?.path
    }

    /// Every pack in `directory` (`*.yaml`), by name.
    public static func load(directory: String? = nil, limits: ManifestLimits = .standard) throws -> [String: CompliancePack] {
        guard let dir = directory ?? bundledDirectory else {
            throw FlowlogError(.fileNotFound, "the packs that ship with flowlog are not installed next to the executable")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
        var packs: [String: CompliancePack] = [:]
        for file in names {
            let pack = try CompliancePack.load(path: (dir as NSString).appendingPathComponent(file), limits: limits)
            packs[pack.name] = pack
        }
        return packs
    }
}
