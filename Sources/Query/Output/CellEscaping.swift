/// In-place CSV quoting and JSON escaping of text just appended to an `OutputBuffer`.
enum CellEscaping {
    /// RFC 4180: a cell holding a comma, quote, CR or LF is quoted, quotes doubled.
    static func quoteCSVIfNeeded(_ out: inout OutputBuffer, from start: Int) {
        var needs = false
        // Every byte that needs quoting is below '-' (0x2D), which letters and digits are not.
        for b in out.written(from: start) where b < 0x2D && (b == UInt8(ascii: ",") || b == UInt8(ascii: "\"") || b == 0x0A || b == 0x0D) {
            needs = true
            break
        }
        guard needs else { return }
        let cell = Array(out.written(from: start))
        out.truncate(to: start)
        out.append(UInt8(ascii: "\""))
        for b in cell {
            if b == UInt8(ascii: "\"") { out.append(b) }
            out.append(b)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Escapes `"`, `\` and control characters (RFC 8259) in the text from `start`.
    static func escapeJSON(_ out: inout OutputBuffer, from start: Int) {
        var needs = false
        for b in out.written(from: start) where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
            needs = true
            break
        }
        guard needs else { return }
        let cell = Array(out.written(from: start))
        out.truncate(to: start)
        for b in cell {
            switch b {
            case UInt8(ascii: "\""): out.append(ascii: "\\\"")
            case UInt8(ascii: "\\"): out.append(ascii: "\\\\")
            case 0x0A: out.append(ascii: "\\n")
            case 0x0D: out.append(ascii: "\\r")
            case 0x09: out.append(ascii: "\\t")
            case 0..<0x20:
                out.append(ascii: "\\u00")
                out.append(hexDigit(b >> 4))
                out.append(hexDigit(b & 0xF))
            default: out.append(b)
            }
        }
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 87 + v }
}
