import ConfigAudit

/// What a cis-benchmark report judges: the cluster's API objects (section 5) and kube-bench
/// results per node (sections 1–4); the scoring and filters come from each spec's `spec.cis`.
public struct CISInput: Sendable {
    public var clusterPaths: [String]
    public var kubeBench: [CISBenchmark.KubeBenchFile]

    public init(clusterPaths: [String], kubeBench: [CISBenchmark.KubeBenchFile] = []) {
        self.clusterPaths = clusterPaths
        self.kubeBench = kubeBench
    }
}
