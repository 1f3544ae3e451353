/// The kinds whose changes are versions: Calico's policy kinds and what Calico's and
/// Kubernetes' policy decisions depend on. Anything else in an audit log is counted and skipped.
///
/// Names follow kubectl: a resource is named by its plural, singular or kind, optionally
/// qualified by API group (`networkpolicies.networking.k8s.io`), so Calico's and Kubernetes'
/// `NetworkPolicy` never collide; an unqualified `networkpolicy` means Calico's, as
/// `calicoctl` reads it, and `knp`/`netpol` mean Kubernetes'.
public struct AuditedResource: Sendable, Hashable, CustomStringConvertible {
    /// Plural resource name as in `objectRef.resource`.
    public let resource: String
    /// API group; "" for the core group.
    public let group: String
    public let kind: String
    public let namespaced: Bool
    /// Extra names kubectl accepts (singular and short names).
    public let aliases: [String]

    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }
    /// The `apiVersion` to print when a stored object lacks one.
    public var defaultAPIVersion: String {
        switch group {
        case "": return "v1"
        case "projectcalico.org": return "projectcalico.org/v3"
        default: return "\(group)/v1"
        }
    }

    static let calico = "projectcalico.org"

    public static let all: [AuditedResource] = [
        .init(resource: "tiers", group: calico, kind: "Tier", namespaced: false, aliases: ["tier"]),
        .init(resource: "globalnetworkpolicies", group: calico, kind: "GlobalNetworkPolicy", namespaced: false,
              aliases: ["globalnetworkpolicy", "gnp"]),
        .init(resource: "networkpolicies", group: calico, kind: "NetworkPolicy", namespaced: true,
              aliases: ["networkpolicy", "cnp", "caliconetworkpolicy"]),
        .init(resource: "stagedglobalnetworkpolicies", group: calico, kind: "StagedGlobalNetworkPolicy", namespaced: false,
              aliases: ["stagedglobalnetworkpolicy", "sgnp"]),
        .init(resource: "stagednetworkpolicies", group: calico, kind: "StagedNetworkPolicy", namespaced: true,
              aliases: ["stagednetworkpolicy", "snp"]),
        .init(resource: "stagedkubernetesnetworkpolicies", group: calico, kind: "StagedKubernetesNetworkPolicy", namespaced: true,
              aliases: ["stagedkubernetesnetworkpolicy", "sknp"]),
        .init(resource: "globalnetworksets", group: calico, kind: "GlobalNetworkSet", namespaced: false,
              aliases: ["globalnetworkset", "gns"]),
        .init(resource: "networksets", group: calico, kind: "NetworkSet", namespaced: true, aliases: ["networkset", "ns-set"]),
        .init(resource: "hostendpoints", group: calico, kind: "HostEndpoint", namespaced: false, aliases: ["hostendpoint", "hep"]),
        .init(resource: "networkpolicies", group: "networking.k8s.io", kind: "NetworkPolicy", namespaced: true,
              aliases: ["knp", "netpol", "kubernetesnetworkpolicy"]),
        .init(resource: "namespaces", group: "", kind: "Namespace", namespaced: false, aliases: ["namespace", "ns"]),
        .init(resource: "pods", group: "", kind: "Pod", namespaced: true, aliases: ["pod", "po"]),
        .init(resource: "serviceaccounts", group: "", kind: "ServiceAccount", namespaced: true, aliases: ["serviceaccount", "sa"]),
        .init(resource: "services", group: "", kind: "Service", namespaced: true, aliases: ["service", "svc"]),
    ]

    /// The resource an audit event's `objectRef` names, nil for kinds that are not versioned.
    public static func find(resource: String, group: String) -> AuditedResource? {
        all.first { $0.resource == resource && $0.group == group }
    }

    /// The resource a manifest's `apiVersion` and `kind` describe.
    public static func find(apiVersion: String, kind: String) -> AuditedResource? {
        let group = apiVersion.contains("/") ? String(apiVersion.prefix { $0 != "/" }) : ""
        return all.first { $0.kind == kind && $0.group == group }
    }

    /// Resolves a kubectl-style type name: `networkpolicies.networking.k8s.io`, `gnp`,
    /// `GlobalNetworkPolicy`, `pod`, `networkpolicy.projectcalico.org`. Case-insensitive.
    public static func find(typeName: String) -> AuditedResource? {
        let name = typeName.lowercased()
        for candidate in all {
            let names = [candidate.resource, candidate.kind.lowercased()] + candidate.aliases
            for base in names {
                if name == base, candidate.isDefault(for: base) { return candidate }
                if !candidate.group.isEmpty, name == "\(base).\(candidate.group)" { return candidate }
            }
        }
        return nil
    }

    /// Whether an unqualified `name` means this resource: Calico's NetworkPolicy wins the bare
    /// `networkpolicy`/`networkpolicies`, as in calicoctl.
    private func isDefault(for name: String) -> Bool {
        if group == "networking.k8s.io" { return aliases.contains(name) }
        return true
    }
}
