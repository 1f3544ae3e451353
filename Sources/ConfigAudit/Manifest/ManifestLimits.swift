/// Bounds on what the configuration audit reads, so a hostile or broken manifest cannot
/// exhaust memory or the stack. Each limit names itself in the error it causes.
public struct ManifestLimits: Sendable, Hashable {
    /// Bytes per file.
    public var maxFileBytes: Int
    /// Nesting of maps and lists (block or flow) per document; the YAML composer recurses once per level.
    public var maxDepth: Int
    /// Documents per file, counting `List` items.
    public var maxObjects: Int

    public init(maxFileBytes: Int = 64 << 20, maxDepth: Int = 64, maxObjects: Int = 200_000) {
        self.maxFileBytes = maxFileBytes
        self.maxDepth = maxDepth
        self.maxObjects = maxObjects
    }

    public static let standard = ManifestLimits()
}
