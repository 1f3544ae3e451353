/// Aligned text columns. Widths come from the header and the first rows (held back until
/// `sampleSize` rows arrived or the end), so a long result still streams after that. When the
/// table would be wider than the layout allows, the widest shrinkable columns give up
/// characters first, and their cells end in `…`.
struct TableWriter {
    private let headers: [String]
    private let rightAligned: [Bool]
    private let shrinkable: [Bool]
    private let maxWidth: Int?
    private var widths: [Int]
    private var held: [[String]] = []
    private var settled = false
    private let sampleSize: Int

    init(headers: [String], rightAligned: [Bool], shrinkable: [Bool]? = nil, maxWidth: Int? = nil, sampleSize: Int = 500) {
        self.headers = headers.map { $0.uppercased() }
        self.rightAligned = rightAligned
        self.shrinkable = shrinkable ?? rightAligned.map { _ in false }
        self.maxWidth = maxWidth
        widths = headers.map(\.count)
        self.sampleSize = sampleSize
    }

    mutating func add(_ cells: [String], into out: inout OutputBuffer) {
        if settled { line(cells, into: &out); return }
        held.append(cells)
        if held.count >= sampleSize { settle(into: &out) }
    }

    mutating func finish(into out: inout OutputBuffer) {
        if !settled { settle(into: &out) }
    }

    private mutating func settle(into out: inout OutputBuffer) {
        for row in held {
            for (i, cell) in row.enumerated() where cell.count > widths[i] { widths[i] = cell.count }
        }
        fit()
        settled = true
        line(headers, into: &out)
        for row in held { line(row, into: &out) }
        held = []
    }

    /// Takes characters from the widest shrinkable column until the line fits (a column keeps
    /// at least its heading and 12 characters).
    private mutating func fit() {
        guard let maxWidth else { return }
        var total = widths.reduce(0, +) + 2 * max(0, widths.count - 1)
        while total > maxWidth {
            var widest: Int?
            for i in widths.indices where shrinkable[i] && widths[i] > max(12, headers[i].count) {
                if widest == nil || widths[i] > widths[widest!] { widest = i }
            }
            guard let column = widest else { return }
            widths[column] -= 1
            total -= 1
        }
    }

    private func line(_ cells: [String], into out: inout OutputBuffer) {
        for (i, var cell) in cells.enumerated() {
            if maxWidth != nil, shrinkable[i], cell.count > widths[i] {
                cell = String(cell.prefix(widths[i] - 1)) + "…"
            }
            let pad = max(0, widths[i] - cell.count)
            let last = i == cells.count - 1
            if rightAligned[i] { out.append(spaces: pad) }
            out.append(cell)
            if !rightAligned[i], !last { out.append(spaces: pad) }
            if !last { out.append(ascii: "  ") }
        }
        out.append(0x0A)
    }
}

extension OutputBuffer {
    mutating func append(spaces n: Int) {
        for _ in 0..<n { append(UInt8(ascii: " ")) }
    }
}
