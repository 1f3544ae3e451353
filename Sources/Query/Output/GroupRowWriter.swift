/// Writes group-by results: the key columns, then `flows`, `packets`, `bytes`.
struct GroupRowWriter {
    let format: OutputFormat
    let keys: [OutputField]
    private var rows = 0
    private var table: TableWriter

    init(format: OutputFormat, keys: [OutputField], layout: TableLayout = .standard) {
        self.format = format
        self.keys = keys
        table = TableWriter(headers: keys.map(\.tableHeading) + ["flows", "packets", "bytes"],
                            rightAligned: keys.map(\.isNumeric) + [true, true, true],
                            shrinkable: keys.map(\.isShrinkable) + [false, false, false], maxWidth: layout.maxWidth)
    }

    var headers: [String] { keys.map(\.rawValue) + ["flows", "packets", "bytes"] }

    func begin(into out: inout OutputBuffer) {
        switch format {
        case .csv:
            out.append(headers.joined(separator: ","))
            out.append(0x0A)
        case .json: out.append(UInt8(ascii: "["))
        case .ndjson, .table: break
        }
    }

    mutating func write(_ key: [String], _ totals: FlowTotals, into out: inout OutputBuffer) {
        switch format {
        case .table:
            table.add(key + [String(totals.flows), String(totals.packets), String(totals.bytes)], into: &out)
        case .csv:
            for cell in key {
                let start = out.count
                out.append(cell)
                CellEscaping.quoteCSVIfNeeded(&out, from: start)
                out.append(UInt8(ascii: ","))
            }
            out.append(decimal: totals.flows); out.append(UInt8(ascii: ","))
            out.append(decimal: totals.packets); out.append(UInt8(ascii: ","))
            out.append(decimal: totals.bytes); out.append(0x0A)
        case .ndjson, .json:
            if format == .json { out.append(ascii: rows == 0 ? "\n" : ",\n") }
            out.append(UInt8(ascii: "{"))
            for (i, cell) in key.enumerated() {
                out.append(UInt8(ascii: "\"")); out.append(keys[i].rawValue); out.append(ascii: "\":")
                // Numeric keys are printed as numbers unless absent ("-").
                if keys[i].isNumeric, UInt64(cell) != nil {
                    out.append(cell)
                } else {
                    out.append(UInt8(ascii: "\""))
                    let start = out.count
                    out.append(cell)
                    CellEscaping.escapeJSON(&out, from: start)
                    out.append(UInt8(ascii: "\""))
                }
                out.append(UInt8(ascii: ","))
            }
            out.append(ascii: "\"flows\":"); out.append(decimal: totals.flows)
            out.append(ascii: ",\"packets\":"); out.append(decimal: totals.packets)
            out.append(ascii: ",\"bytes\":"); out.append(decimal: totals.bytes)
            out.append(UInt8(ascii: "}"))
            if format == .ndjson { out.append(0x0A) }
        }
        rows += 1
    }

    mutating func end(into out: inout OutputBuffer) {
        switch format {
        case .table: table.finish(into: &out)
        case .json: out.append(ascii: rows == 0 ? "]\n" : "\n]\n")
        case .csv, .ndjson: break
        }
    }
}
