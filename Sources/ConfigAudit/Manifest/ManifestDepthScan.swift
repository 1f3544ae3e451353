import Yams

/// Depth limits applied before and after composing: the composer recurses once per nesting
/// level, so flow nesting (`[[[[…`) and deep indentation are refused on the raw text; the
/// composed tree is then measured without recursion, with a node budget so aliases that fan
/// out (a "billion laughs" document) stop early.
enum ManifestDepthScan {
    /// The first position where flow brackets nest deeper than `limit`, or a line is indented
    /// so far that block nesting could (indentation of 2 per level, so `limit * 8` columns is
    /// generous for any real manifest).
    static func firstExcess(in text: String, limit: Int) -> (line: Int, column: Int)? {
        var depth = 0
        var line = 1
        var column = 0
        var atLineStart = true
        var indent = 0
        var quote: UInt8 = 0
        var comment = false
        for byte in text.utf8 {
            column += 1
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 0
                atLineStart = true
                indent = 0
                comment = false
                if quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") { continue }
                continue
            }
            if atLineStart {
                if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: ":") {
                    indent += 1
                    if indent > limit * 8 { return (line, column) }
                } else {
                    atLineStart = false
                }
            }
            if comment { continue }
            if quote != 0 {
                if byte == quote { quote = 0 }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                if depth > 0 { quote = byte }
            case UInt8(ascii: "#"):
                comment = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return (line, column) }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if depth > 0 { depth -= 1 }
            default:
                break
            }
        }
        return nil
    }

    struct Excess {
        let message: String
        let mark: Mark?
    }

    static func treeExcess(_ root: Node, maxDepth: Int, maxNodes: Int) -> Excess? {
        var stack: [(Node, Int)] = [(root, 1)]
        var visited = 0
        while let (node, depth) = stack.popLast() {
            visited += 1
            if visited > maxNodes {
                return Excess(message: "more than \(maxNodes) values in one document (aliases that repeat content count every time)", mark: node.mark)
            }
            switch node {
            case .mapping(let mapping):
                if depth > maxDepth { return Excess(message: "nesting deeper than \(maxDepth) levels", mark: node.mark) }
                for (key, value) in mapping {
                    stack.append((key, depth + 1))
                    stack.append((value, depth + 1))
                }
            case .sequence(let sequence):
                if depth > maxDepth { return Excess(message: "nesting deeper than \(maxDepth) levels", mark: node.mark) }
                for element in sequence { stack.append((element, depth + 1)) }
            case .scalar:
                break
            }
        }
        return nil
    }
}
