import FlowCore

/// The annotation of one flow and a readable walk through how it was decided.
public struct PolicyExplanation: Sendable {
    public let annotation: FlowAnnotation
    /// Indented lines: each direction, each tier, each policy and rule that mattered.
    public let walk: [String]
}

/// Collects the walk while the evaluator runs; absent (nil) on the annotate path.
final class PolicyWalkLog {
    var lines: [String] = []
    var depth = 0
    func add(_ text: String) { lines.append(String(repeating: "  ", count: depth) + text) }
}
