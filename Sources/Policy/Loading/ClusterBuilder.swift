import FlowCore
import Yams

/// Turns manifest documents into the `Cluster` model, one resource at a time, recording every
/// problem instead of stopping at the first.
struct ClusterBuilder {
    var cluster = Cluster()
    let diagnostics: LoadDiagnostics
    /// Where each pod (`namespace/name`) and each pod address was first defined, to warn
    /// about a second definition: a flow would get whichever identity the index keeps.
    var podDefinitions: [String: FlowlogError.Location] = [:]
    var podOfAddress: [IPAddress: (pod: String, location: FlowlogError.Location)] = [:]

    /// The apiVersion read for each API group; another version of a known group is read the
    /// same way, with a warning.
    static let knownVersions = ["v1": "v1", "networking.k8s.io": "networking.k8s.io/v1", "projectcalico.org": "projectcalico.org/v3"]
    /// Kinds some known group defines, so an object of one under an unknown apiVersion is
    /// reported rather than counted with kinds flowlog does not read.
    static let readKinds: Set<String> = [
        "Namespace", "Pod", "ServiceAccount", "Service", "NetworkPolicy", "StagedKubernetesNetworkPolicy", "Tier",
        "GlobalNetworkPolicy", "StagedGlobalNetworkPolicy", "StagedNetworkPolicy", "GlobalNetworkSet", "NetworkSet", "HostEndpoint",
    ]

    init(diagnostics: LoadDiagnostics) {
        self.diagnostics = diagnostics
    }

    mutating func add(_ document: ManifestField) {
        if ManifestField.isNull(document.node) { return }  // empty document
        guard document.isMapping else {
            document.error("a manifest document must be a map with apiVersion and kind")
            return
        }
        guard let kind = document.string("kind"), !kind.isEmpty else {
            document.error("missing required field kind")
            return
        }
        let apiVersion = document.string("apiVersion") ?? ""
        if kind == "List" || (kind.hasSuffix("List") && document.child("items") != nil) {
            for item in document.list("items", namingItems: true) {
                var scoped = item
                scoped.resource = "\(kind) item \(item.path)"
                add(scoped)
            }
            return
        }
        let metadata = document.child("metadata")
        let name = metadata?.string("name") ?? ""
        let namespace = metadata?.string("namespace") ?? ""
        var resource = document
        resource.resource = namespace.isEmpty ? "\(kind) \(name)" : "\(kind) \(namespace)/\(name)"
        guard var metadata, !name.isEmpty else {
            resource.error("missing required field metadata.name")
            return
        }
        // Errors inside metadata (labels) name the object, as the rest of its errors do.
        metadata.resource = resource.resource
        let group = Self.group(ofAPIVersion: apiVersion)
        if apiVersion.isEmpty {
            resource.warning("missing apiVersion; the object is skipped")
        } else if let expected = Self.knownVersions[group], expected != apiVersion {
            resource.warning("apiVersion \(apiVersion) is not a version flowlog knows; read as \(expected)")
        } else if Self.knownVersions[group] == nil, Self.readKinds.contains(kind) {
            resource.warning("apiVersion \(apiVersion) is not one flowlog reads for \(kind) (\(Self.knownVersions.values.sorted().joined(separator: ", "))); the object is skipped")
        }
        switch (group, kind) {
        case ("v1", "Namespace"): addNamespace(resource, metadata: metadata, name: name)
        case ("v1", "Pod"): addPod(resource, metadata: metadata, name: name)
        case ("v1", "ServiceAccount"): addServiceAccount(resource, metadata: metadata, name: name)
        case ("v1", "Service"): addService(resource, metadata: metadata, name: name)
        case ("networking.k8s.io", "NetworkPolicy"):
            addKubernetesPolicy(resource, metadata: metadata, name: name, staged: false)
        case ("projectcalico.org", "StagedKubernetesNetworkPolicy"):
            addKubernetesPolicy(resource, metadata: metadata, name: name, staged: true)
        case ("projectcalico.org", "Tier"): addTier(resource, name: name)
        case ("projectcalico.org", "GlobalNetworkPolicy"): addCalicoPolicy(resource, metadata: metadata, name: name, kind: .globalNetworkPolicy)
        case ("projectcalico.org", "NetworkPolicy"): addCalicoPolicy(resource, metadata: metadata, name: name, kind: .networkPolicy)
        case ("projectcalico.org", "StagedGlobalNetworkPolicy"): addCalicoPolicy(resource, metadata: metadata, name: name, kind: .stagedGlobalNetworkPolicy)
        case ("projectcalico.org", "StagedNetworkPolicy"): addCalicoPolicy(resource, metadata: metadata, name: name, kind: .stagedNetworkPolicy)
        case ("projectcalico.org", "GlobalNetworkSet"): addNetworkSet(resource, metadata: metadata, name: name, global: true)
        case ("projectcalico.org", "NetworkSet"): addNetworkSet(resource, metadata: metadata, name: name, global: false)
        case ("projectcalico.org", "HostEndpoint"): addHostEndpoint(resource, metadata: metadata, name: name)
        case ("projectcalico.org", "Profile"): addProfile(resource, metadata: metadata, name: name)
        case ("policy.networking.k8s.io", "ClusterNetworkPolicy"): addClusterNetworkPolicy(resource, name: name, api: .clusterNetworkPolicy)
        case ("policy.networking.k8s.io", "AdminNetworkPolicy"): addClusterNetworkPolicy(resource, name: name, api: .admin)
        case ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"): addClusterNetworkPolicy(resource, name: name, api: .baseline)
        default:
            let key = apiVersion.isEmpty ? kind : "\(apiVersion)/\(kind)"
            cluster.skippedKinds[key, default: 0] += 1
        }
    }

    /// Adds the tiers policies name but no file defines, and checks that names are unique.
    mutating func finish() {
        for policy in cluster.policies where cluster.tierDefinitions[policy.tier] == nil {
            cluster.tierDefinitions[policy.tier] = PolicyTier(name: policy.tier, order: nil, defaultAction: .deny, exists: false)
            diagnostics.warnings.append(FlowlogError(
                .validation, "\(policy.kind.resourceKind) \(policy.namespace.isEmpty ? "" : policy.namespace + "/")\(policy.name): tier '\(policy.tier)' has no Tier resource; it sorts after every existing tier",
                location: .init(file: policy.origin, field: "spec.tier")))
        }
        for hep in cluster.hostEndpoints {
            for name in hep.profiles where cluster.profiles[name] == nil && name != ClusterProfile.defaultAllowName {
                if name.hasPrefix("kns."), cluster.namespaces[String(name.dropFirst(4))] != nil { continue }
                if name.hasPrefix("ksa.") { continue }
                diagnostics.warnings.append(FlowlogError(
                    .validation, "HostEndpoint \(hep.name): profile '\(name)' is not defined; it has no rules and applies no labels",
                    location: .init(file: hep.origin, field: "spec.profiles")))
            }
        }
        var seen: Set<String> = []
        for policy in cluster.policies {
            let key = "\(policy.kind)/\(policy.namespace)/\(policy.name)"
            if !seen.insert(key).inserted {
                diagnostics.errors.append(FlowlogError(
                    .validation, "\(policy.kind.resourceKind) \(policy.namespace.isEmpty ? "" : policy.namespace + "/")\(policy.name) is defined more than once",
                    location: .init(file: policy.origin, field: "metadata.name")))
            }
        }
    }

    /// The API group an apiVersion names: its first non-empty part before a `/` ("" when
    /// there is none), "v1" for the core group's `v1`, "" for any other text without a `/`.
    ///
    /// `contains("/")` with Foundation imported went through NSString, a few thousand
    /// instructions per document, and a Character search and split still break the text into
    /// graphemes (a thousand). An ASCII text's Characters are its bytes (no combining marks),
    /// so it is split by bytes; any other text the Character way, as it always was.
    static func group(ofAPIVersion apiVersion: String) -> String {
        var text = apiVersion
        let (isASCII, group) = text.withUTF8 { bytes -> (Bool, String) in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return (false, "") }
            guard bytes.contains(UInt8(ascii: "/")) else { return (true, bytes.elementsEqual("v1".utf8) ? "v1" : "") }
            var start = 0
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.count
                if end != start { return (true, String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)) }
                start = end + 1
            }
            return (true, "")
        }
        if isASCII { return group }
        return apiVersion.contains(Character("/")) ? apiVersion.split(separator: "/").first.map(String.init) ?? "" : (apiVersion == "v1" ? "v1" : "")
    }

    // MARK: - Shared reads

    static func address(_ field: ManifestField) -> IPAddress? {
        guard let text = field.scalarText else { return nil }
        guard let a = ManifestAddressText.address(text) else {
            field.error("'\(text)' is not an IP address")
            return nil
        }
        return a
    }

    static func prefix(_ field: ManifestField) -> IPPrefix? {
        guard let text = field.scalarText else { return nil }
        guard let p = IPPrefix(text) else {
            field.error("'\(text)' is not a CIDR or IP address")
            return nil
        }
        return p
    }

    static func protocolValue(_ field: ManifestField) -> IPProtocol? {
        guard let text = field.scalarText else { return nil }
        if let n = Int(text) {
            guard (1...255).contains(n) else {
                field.error("protocol number \(n) is outside 1...255")
                return nil
            }
            return IPProtocol(rawValue: UInt8(n))
        }
        guard let p = IPProtocol(name: text) else {
            field.error("unknown protocol '\(text)'; expected TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or 1-255")
            return nil
        }
        return p
    }
}
