import ConfigAudit

/// What a cis-benchmark report judges: the cluster's API objects (section 5), kube-bench
/// results per node (sections 1–4), and Calico's scoring and filters from the spec's `spec.cis`.
public struct CISInput: Sendable {
    public var clusterPaths: [String]
    public var kubeBench: [CISBenchmark.KubeBenchFile]
    public var settings: CISSettings

    public init(clusterPaths: [String], kubeBench: [CISBenchmark.KubeBenchFile] = [], settings: CISSettings = CISSettings()) {
        self.clusterPaths = clusterPaths
        self.kubeBench = kubeBench
        self.settings = settings
    }
}
