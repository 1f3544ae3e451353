import FlowCore

/// Streams flows as CSV, NDJSON or JSON rows into an `OutputBuffer`.
struct FlowRowWriter {
    let format: OutputFormat
    let fields: [OutputField]
    private var fieldWriter = FieldWriter()
    private var rows = 0
    /// `"name":` for each field, encoded once.
    private let jsonKeys: [[UInt8]]

    init(format: OutputFormat, fields: [OutputField]) {
        precondition(format != .table, "tables go through TableWriter")
        self.format = format
        self.fields = fields
        jsonKeys = fields.map { Array("\"\($0.rawValue)\":".utf8) }
    }

    func begin(into out: inout OutputBuffer) {
        switch format {
        case .csv:
            for (i, field) in fields.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(field.rawValue)
            }
            out.append(0x0A)
        case .json: out.append(UInt8(ascii: "["))
        case .ndjson, .table: break
        }
    }

    mutating func write(_ record: AnnotatedFlow, into out: inout OutputBuffer) {
        switch format {
        case .csv:
            let annotation = record.annotation ?? FieldWriter.unannotated
            let annotated = record.annotation != nil
            for i in 0..<fields.count {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                fieldWriter.write(fields[i], flow: record.flow, annotation: annotation, annotated: annotated,
                                  node: record.node, style: .csv, into: &out)
            }
            out.append(0x0A)
        case .ndjson, .json:
            if format == .json { out.append(ascii: rows == 0 ? "\n" : ",\n") }
            out.append(UInt8(ascii: "{"))
            let annotation = record.annotation ?? FieldWriter.unannotated
            let annotated = record.annotation != nil
            for i in 0..<fields.count {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(bytesOf: jsonKeys[i])
                fieldWriter.write(fields[i], flow: record.flow, annotation: annotation, annotated: annotated,
                                  node: record.node, style: .json, into: &out)
            }
            out.append(UInt8(ascii: "}"))
            if format == .ndjson { out.append(0x0A) }
        case .table:
            break
        }
        rows += 1
    }

    func end(into out: inout OutputBuffer) {
        if format == .json { out.append(ascii: rows == 0 ? "]\n" : "\n]\n") }
    }
}
