import Foundation
import FlowCore
@testable import Audit

/// The audit log fixtures and fresh directories for stores.
enum AuditFixtures {
    static let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    /// `kube-audit.log`: kube-apiserver's RequestResponse-level log of a small cluster's morning:
    /// namespaces, service accounts, a GlobalNetworkPolicy, a Calico and a Kubernetes
    /// NetworkPolicy, pods whose IPs arrive by pods/status patches from the kubelet, a service;
    /// reads, a ConfigMap, a scheduler binding, a dry run, a 409 and a 403, the 07:30 patch
    /// opening port 8443, a stale out-of-order update, a re-shipped duplicate, the 08:00 delete
    /// of namespace shop, and a truncated last line.
    static var kubeAuditLog: String { directory.appendingPathComponent("kube-audit.log").path }

    static func temporaryDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "flowlog-audit-\(getpid())-\(UUID().uuidString)-\(name)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func time(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    /// A store with the fixture ingested.
    static func ingestedStore() throws -> (directory: String, report: AuditIngest.Report) {
        let directory = temporaryDirectory("store")
        let store = try AuditStore(directory: directory)
        let report = try AuditIngest.ingest(files: [kubeAuditLog], into: store)
        try store.close()
        return (directory, report)
    }
}
