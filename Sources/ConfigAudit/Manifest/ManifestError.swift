import FlowCore

/// All errors of one input.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public let errors: [FlowlogError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
