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
        // Matching on the optional borrows its payload; `annotation ?? default` would copy it.
        switch record.annotation {
        case .some(let annotation): write(record, annotation, annotated: true, into: &out)
        case .none: write(record, .absent, annotated: false, into: &out)
        }
        rows += 1
    }

    private mutating func write(_ record: AnnotatedFlow, _ annotation: FlowAnnotation, annotated: Bool,
                                into out: inout OutputBuffer) {
        // Local copies: read through `self` while `fieldWriter` (part of self) is mutated, the
        // arrays would be retained and released around every field.
        let fields = self.fields, jsonKeys = self.jsonKeys
        switch format {
        case .csv:
            for i in 0..<fields.count {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                fieldWriter.write(fields[i], flow: record.flow, annotation: annotation, annotated: annotated,
                                  node: record.node, domains: record.destinationDomains, style: .csv, into: &out)
            }
            out.append(0x0A)
        case .ndjson, .json:
            if format == .json { out.append(ascii: rows == 0 ? "\n" : ",\n") }
            out.append(UInt8(ascii: "{"))
            for i in 0..<fields.count {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(bytesOf: jsonKeys[i])
                fieldWriter.write(fields[i], flow: record.flow, annotation: annotation, annotated: annotated,
                                  node: record.node, domains: record.destinationDomains, style: .json, into: &out)
            }
            out.append(UInt8(ascii: "}"))
            if format == .ndjson { out.append(0x0A) }
        case .table:
            break
        }
    }

    /// The format a row is rendered in to be written later by this writer (`write(rendered:)`):
    /// JSON rows as NDJSON lines, since their separators depend on their place.
    var standaloneFormat: OutputFormat { format == .json ? .ndjson : format }

    /// A row that a writer of `standaloneFormat` rendered, written as this writer's next row.
    mutating func write(rendered row: UnsafeBufferPointer<UInt8>, into out: inout OutputBuffer) {
        if format == .json {
            out.append(ascii: rows == 0 ? "\n" : ",\n")
            out.append(UnsafeBufferPointer(rebasing: row.dropLast()))
        } else {
            out.append(row)
        }
        rows += 1
    }

    func end(into out: inout OutputBuffer) {
        if format == .json { out.append(ascii: rows == 0 ? "]\n" : "\n]\n") }
    }
}
