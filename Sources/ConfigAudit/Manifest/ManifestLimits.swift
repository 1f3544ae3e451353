import Policy

/// Bounds on what the configuration audit reads, so a hostile or broken manifest cannot
/// exhaust memory or the stack. Each limit names itself in the error it causes. Nesting and
/// alias expansion are checked by the policy stage's `YAMLPrecheck`, the same as for
/// `flowlog policy check`; file size can only be lowered below its maximum.
public struct ManifestLimits: Sendable, Hashable {
    /// Bytes per file.
    public var maxFileBytes: Int
    /// Nesting of maps and lists (block or flow) per document.
    public var maxDepth: Int
    /// Documents per file, counting `List` items.
    public var maxObjects: Int

    public init(maxFileBytes: Int = YAMLPrecheck.maximumBytes, maxDepth: Int = YAMLPrecheck.maximumDepth, maxObjects: Int = 200_000) {
        self.maxFileBytes = maxFileBytes
        self.maxDepth = maxDepth
        self.maxObjects = maxObjects
    }

    public static let standard = ManifestLimits()
}
