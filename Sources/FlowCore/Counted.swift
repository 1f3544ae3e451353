/// A count and its noun, in the singular for one: `1 block`, `2 blocks`, `1 policy`.
public enum Counted {
    public static func of<N: BinaryInteger>(_ count: N, _ singular: String, _ plural: String? = nil) -> String {
        count == 1 ? "1 \(singular)" : "\(count) \(plural ?? singular + "s")"
    }
}
