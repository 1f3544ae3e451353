/// A unified diff of two texts by lines (the form `diff -u` prints), from a longest common
/// subsequence. Objects are small; beyond `maximumLines` a side is shown as replaced whole
/// rather than spending quadratic time.
public enum UnifiedDiff {
    public static let maximumLines = 20_000

    public static func lines(from old: String, to new: String, oldLabel: String, newLabel: String, context: Int = 3) -> String {
        let a = split(old), b = split(new)
        let edits = script(a, b)
        guard edits.contains(where: { $0.kind != .same }) else { return "" }
        var out = "--- \(oldLabel)\n+++ \(newLabel)\n"
        // Group edits into hunks with `context` unchanged lines around each change.
        var index = 0
        while index < edits.count {
            guard let firstChange = edits[index...].firstIndex(where: { $0.kind != .same }) else { break }
            let start = max(index, firstChange - context)
            var end = firstChange
            var lastChange = firstChange
            while end < edits.count {
                if edits[end].kind != .same { lastChange = end }
                if end - lastChange > 2 * context { break }
                end += 1
            }
            let stop = min(edits.count, lastChange + context + 1)
            let hunk = edits[start..<stop]
            let oldStart = hunk.first!.oldLine, newStart = hunk.first!.newLine
            let oldCount = hunk.filter { $0.kind != .insert }.count
            let newCount = hunk.filter { $0.kind != .delete }.count
            out += "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@\n"
            for edit in hunk {
                switch edit.kind {
                case .same: out += " " + edit.text + "\n"
                case .delete: out += "-" + edit.text + "\n"
                case .insert: out += "+" + edit.text + "\n"
                }
            }
            index = stop
        }
        return out
    }

    private static func range(_ start: Int, _ count: Int) -> String {
        count == 0 ? "\(start - 1),0" : count == 1 ? "\(start)" : "\(start),\(count)"
    }

    private static func split(_ text: String) -> [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    struct Edit {
        enum Kind { case same, delete, insert }
        var kind: Kind
        var text: Substring
        /// 1-based line numbers where this edit sits in each text.
        var oldLine: Int
        var newLine: Int
    }

    static func script(_ a: [Substring], _ b: [Substring]) -> [Edit] {
        var edits: [Edit] = []
        if a.count > maximumLines || b.count > maximumLines {
            for (i, line) in a.enumerated() { edits.append(Edit(kind: .delete, text: line, oldLine: i + 1, newLine: 1)) }
            for (j, line) in b.enumerated() { edits.append(Edit(kind: .insert, text: line, oldLine: a.count + 1, newLine: j + 1)) }
            return edits
        }
        // Trim the common prefix and suffix first: most versions differ in a few lines.
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let x = Array(a[prefix..<(a.count - suffix)]), y = Array(b[prefix..<(b.count - suffix)])
        // lcs[i][j]: length of the LCS of x[i...] and y[j...].
        let width = y.count + 1
        var lcs = [Int32](repeating: 0, count: (x.count + 1) * width)
        if !x.isEmpty && !y.isEmpty {
            for i in stride(from: x.count - 1, through: 0, by: -1) {
                for j in stride(from: y.count - 1, through: 0, by: -1) {
                    lcs[i * width + j] = x[i] == y[j] ? lcs[(i + 1) * width + j + 1] + 1 : max(lcs[(i + 1) * width + j], lcs[i * width + j + 1])
                }
            }
        }
        for k in 0..<prefix { edits.append(Edit(kind: .same, text: a[k], oldLine: k + 1, newLine: k + 1)) }
        var i = 0, j = 0
        while i < x.count || j < y.count {
            let oldLine = prefix + i + 1, newLine = prefix + j + 1
            if i < x.count, j < y.count, x[i] == y[j] {
                edits.append(Edit(kind: .same, text: x[i], oldLine: oldLine, newLine: newLine))
                i += 1
                j += 1
            } else if i < x.count, j == y.count || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1] {
                // Deletions before insertions, as diff -u prints a changed line.
                edits.append(Edit(kind: .delete, text: x[i], oldLine: oldLine, newLine: newLine))
                i += 1
            } else {
                edits.append(Edit(kind: .insert, text: y[j], oldLine: oldLine, newLine: newLine))
                j += 1
            }
        }
        for k in 0..<suffix {
            let ai = a.count - suffix + k, bi = b.count - suffix + k
            edits.append(Edit(kind: .same, text: a[ai], oldLine: ai + 1, newLine: bi + 1))
        }
        return edits
    }
}
