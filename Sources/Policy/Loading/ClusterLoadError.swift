import FlowCore

/// Every error found while loading manifests, in file order; thrown by `ClusterLoader.load`
/// when there is at least one, so a user sees all of them in one run.
public struct ClusterLoadError: Error, Sendable, CustomStringConvertible {
    public let errors: [FlowlogError]

    public var description: String {
        let head = errors.count == 1 ? "1 error in the cluster manifests" : "\(errors.count) errors in the cluster manifests"
        return ([head + ":"] + errors.map { "  " + $0.description }).joined(separator: "\n")
    }
}

/// Collects errors and warnings while manifests are read.
package final class LoadDiagnostics {
    package var errors: [FlowlogError] = []
    package var warnings: [FlowlogError] = []

    package init() {}
}
