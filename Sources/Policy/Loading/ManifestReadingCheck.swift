/// Reads one text both ways a manifest can be read (block-style scanner first, and libyaml's
/// event parser alone) and says where they differ: the differential check behind the scanner's
/// randomized tests and its fuzz target.
public enum ManifestReadingCheck {
    /// Everything a reading gives the loader, one line per fact: the tag table, every entry
    /// (kind, style, tag, line, column, extent; a scalar's bytes, an alias's target), the roots,
    /// the warnings and the error. A scalar's place in the document's bytes is left out: the
    /// scanner names scalars where they lie in the text, libyaml's are copied one after another.
    static func outcome(_ text: String, reading: YAMLDocumentReader.Reading) -> [String] {
        let read = YAMLDocumentReader.read(text, file: "check.yaml", reading: reading)
        var lines: [String] = []
        if let document = read.documents.first?.document {
            lines.append("tags \(document.tags)")
            for (i, e) in document.entries.enumerated() {
                let what = e.kind == .scalar ? "\(document.bytes[Int(e.start)..<Int(e.start + e.count)])" : "\(e.start)+\(e.count)"
                lines.append("\(i) \(e.kind) s\(e.style) t\(e.tag) @\(e.line):\(e.column) \(what) ->\(e.end)")
            }
        }
        lines.append("roots \(read.documents.map(\.index))")
        lines += read.warnings.map { "warning \($0)" }
        lines.append("error \(read.error.map { "\($0)" } ?? "-")")
        return lines
    }

    /// nil when both readings of `text` agree; otherwise the first line that differs, both ways.
    public static func difference(in text: String) -> String? {
        let scanned = outcome(text, reading: .blockScannerFirst), reference = outcome(text, reading: .libyamlOnly)
        guard scanned != reference else { return nil }
        return zip(scanned, reference).first { $0 != $1 }.map { "scanner: \($0.0)\nlibyaml: \($0.1)" }
            ?? "\(scanned.count) facts against \(reference.count)"
    }

    /// Whether the block-style scanner reads `text` by itself (rather than leaving it to libyaml).
    public static func scannerReads(_ text: String) -> Bool {
        var assembly = YAMLDocumentAssembly(file: "check.yaml", expectedBytes: 0, text: Array(text.utf8))
        return BlockYAMLScanner.read(into: &assembly)
    }
}
