import FlowCore

/// Renders a record's fields as plain strings (table cells).
struct CellRenderer {
    private var scratch = OutputBuffer(target: .memory)
    private var fieldWriter = FieldWriter()

    init(secondsOnly: Bool = false) { fieldWriter.secondsOnly = secondsOnly }

    mutating func render(_ fields: [OutputField], of record: AnnotatedFlow) -> [String] {
        var row: [String] = []
        row.reserveCapacity(fields.count)
        for field in fields {
            scratch.truncate(to: 0)
            fieldWriter.write(field, of: record, style: .plain, into: &scratch)
            row.append(scratch.text)
        }
        return row
    }
}
