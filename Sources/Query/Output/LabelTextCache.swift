/// Renders an endpoint's labels (`app=web,tier=frontend`, keys sorted; a JSON object in JSON)
/// once per distinct label set rather than once per flow.
///
/// The store decodes each block's label sets once and hands the same dictionary to every flow
/// that carries it, so the dictionary's storage object identifies the set cheaply. The cache
/// keeps the dictionary itself, so that storage stays alive and cannot be reused for another
/// set, and a hit is confirmed with `==` (which returns at once for the same storage).
struct LabelTextCache {
    fileprivate struct Entry {
        let labels: [String: String]
        var csv: [UInt8]?
        var json: [UInt8]?
        var plain: [UInt8]?
    }

    private var slots: [ObjectIdentifier: Int] = [:]
    private var entries: [Entry] = []
    private static let maximumEntries = 8192
    /// A dictionary is one reference to its storage on the platforms we build for; if that
    /// ever changes the cache is bypassed (correct, only slower).
    private static let identityAvailable = MemoryLayout<[String: String]>.size == MemoryLayout<AnyObject>.size

    mutating func write(_ labels: [String: String]?, style: FieldWriter.Style, into out: inout OutputBuffer) {
        guard let labels, !labels.isEmpty else {
            if style == .json { out.append(ascii: "{}") } else { out.append(UInt8(ascii: "-")) }
            return
        }
        guard Self.identityAvailable else {
            out.append(bytesOf: Self.render(labels, style: style))
            return
        }
        let key = ObjectIdentifier(unsafeBitCast(labels, to: AnyObject.self))
        if let slot = slots[key], entries[slot].labels == labels {
            if let bytes = entries[slot].bytes(style) {
                out.append(bytesOf: bytes)
            } else {
                let bytes = Self.render(labels, style: style)
                entries[slot].set(bytes, for: style)
                out.append(bytesOf: bytes)
            }
            return
        }
        let bytes = Self.render(labels, style: style)
        if entries.count >= Self.maximumEntries {
            slots.removeAll(keepingCapacity: true)
            entries.removeAll(keepingCapacity: true)
        }
        var entry = Entry(labels: labels)
        entry.set(bytes, for: style)
        if let slot = slots[key] {
            entries[slot] = entry
        } else {
            slots[key] = entries.count
            entries.append(entry)
        }
        out.append(bytesOf: bytes)
    }

    static func render(_ labels: [String: String], style: FieldWriter.Style) -> [UInt8] {
        var out = OutputBuffer(target: .memory)
        let keys = labels.keys.sorted()
        if style == .json {
            out.append(UInt8(ascii: "{"))
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "\""))
                var start = out.count
                out.append(key)
                CellEscaping.escapeJSON(&out, from: start)
                out.append(ascii: "\":\"")
                start = out.count
                out.append(labels[key] ?? "")
                CellEscaping.escapeJSON(&out, from: start)
                out.append(UInt8(ascii: "\""))
            }
            out.append(UInt8(ascii: "}"))
        } else {
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(key); out.append(UInt8(ascii: "=")); out.append(labels[key] ?? "")
            }
            if style == .csv { CellEscaping.quoteCSVIfNeeded(&out, from: 0) }
        }
        return out.bytes
    }
}

extension LabelTextCache.Entry {
    fileprivate func bytes(_ style: FieldWriter.Style) -> [UInt8]? {
        switch style {
        case .csv: return csv
        case .json: return json
        case .plain: return plain
        }
    }

    fileprivate mutating func set(_ bytes: [UInt8], for style: FieldWriter.Style) {
        switch style {
        case .csv: csv = bytes
        case .json: json = bytes
        case .plain: plain = bytes
        }
    }
}
