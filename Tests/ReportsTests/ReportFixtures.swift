import FlowCore
import Foundation
import Policy
@testable import Reports

/// Paths and builders shared by the report tests.
enum ReportFixtures {
    static let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func path(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    static var demoCluster: Cluster {
        get throws { try ClusterLoader.load(paths: [packageRoot.appendingPathComponent("samples/cluster").path]) }
    }

    static var differencesCluster: Cluster {
        get throws { try ClusterLoader.load(paths: [path("differences/cluster.yaml")]) }
    }

    static let start = Timestamp(rfc3339: "2026-11-02T09:00:00Z")!
    static let end = Timestamp(rfc3339: "2026-11-02T10:00:00Z")!

    static func spec(_ type: ReportType, _ selection: EndpointSelection = .everything, name: String = "test-report") -> ReportSpec {
        ReportSpec(name: name, type: type, endpoints: selection)
    }

    static func document(_ cluster: Cluster, _ type: ReportType = .networkAccess, _ selection: EndpointSelection = .everything,
                         data: String? = nil) throws -> ReportDocument {
        try ReportBuilder(dataDirectory: data).build(spec(type, selection), states: ManifestStateSource(cluster: cluster, paths: ["test"]),
                                                     start: start, end: end, generated: end)
    }

    /// The assessment of one pod, by `namespace/name`.
    static func assessment(_ d: ReportDocument, _ pod: String) -> EndpointAssessment? {
        let parts = pod.split(separator: "/").map(String.init)
        return d.endpoints.first { $0.key == EndpointKey(kind: .pod, namespace: parts[0], name: parts[1]) }
    }

    static func temporaryDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "flowlog-reports-\(getpid())-\(UUID().uuidString)-\(name)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
