/// Renders an endpoint's labels (`app=web,tier=frontend`, keys sorted; a JSON object in JSON)
/// and remembers the last set: consecutive flows mostly come from the same few pods, and the
/// store hands back shared dictionaries, so the sort runs once per distinct set in a row.
struct LabelTextCache {
    private var last: [String: String]?
    private var plain: [UInt8] = []
    private var csv: [UInt8] = []
    private var json: [UInt8] = []

    mutating func write(_ labels: [String: String]?, style: FieldWriter.Style, into out: inout OutputBuffer) {
        guard let labels, !labels.isEmpty else {
            if style == .json { out.append(ascii: "{}") } else { out.append(UInt8(ascii: "-")) }
            return
        }
        if labels != last { render(labels) }
        switch style {
        case .plain: out.append(bytesOf: plain)
        case .csv: out.append(bytesOf: csv)
        case .json: out.append(bytesOf: json)
        }
    }

    private mutating func render(_ labels: [String: String]) {
        last = labels
        var text = OutputBuffer(target: .memory)
        var object = OutputBuffer(target: .memory)
        object.append(UInt8(ascii: "{"))
        for (i, key) in labels.keys.sorted().enumerated() {
            let value = labels[key] ?? ""
            if i > 0 { text.append(UInt8(ascii: ",")); object.append(UInt8(ascii: ",")) }
            text.append(key); text.append(UInt8(ascii: "=")); text.append(value)
            object.append(UInt8(ascii: "\""))
            var start = object.bytes.count
            object.append(key)
            CellEscaping.escapeJSON(&object, from: start)
            object.append(ascii: "\":\"")
            start = object.bytes.count
            object.append(value)
            CellEscaping.escapeJSON(&object, from: start)
            object.append(UInt8(ascii: "\""))
        }
        object.append(UInt8(ascii: "}"))
        plain = text.bytes
        CellEscaping.quoteCSVIfNeeded(&text, from: 0)
        csv = text.bytes
        json = object.bytes
    }
}
