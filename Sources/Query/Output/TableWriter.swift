/// Aligned text columns. Widths come from the header and the first rows (held back until
/// `sampleSize` rows arrived or the end), so a long result still streams after that.
struct TableWriter {
    private let headers: [String]
    private let rightAligned: [Bool]
    private var widths: [Int]
    private var held: [[String]] = []
    private var settled = false
    private let sampleSize: Int

    init(headers: [String], rightAligned: [Bool], sampleSize: Int = 500) {
        self.headers = headers.map { $0.uppercased() }
        self.rightAligned = rightAligned
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
        settled = true
        line(headers, into: &out)
        for row in held { line(row, into: &out) }
        held = []
    }

    private func line(_ cells: [String], into out: inout OutputBuffer) {
        for (i, cell) in cells.enumerated() {
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
