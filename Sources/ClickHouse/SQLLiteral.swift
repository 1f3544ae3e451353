/// ClickHouse SQL literals and identifiers. Every value a user typed reaches SQL through one of
/// these, never pasted: strings are single-quoted with backslash escapes for the quote, the
/// backslash and every control byte; identifiers are back-quoted the same way.
enum SQLLiteral {
    static func string(_ text: String) -> String { quote(Array(text.utf8), with: UInt8(ascii: "'")) }

    /// Raw bytes (a FixedString address), every byte as `\xHH`.
    static func bytes(_ bytes: [UInt8]) -> String {
        var out = "'"
        for b in bytes { out += "\\x" + hex(b) }
        return out + "'"
    }

    static func identifier(_ name: String) -> String { quote(Array(name.utf8), with: UInt8(ascii: "`")) }

    static func unsigned<T: UnsignedInteger>(_ v: T) -> String { String(v) }

    static func signed<T: SignedInteger>(_ v: T) -> String { String(v) }

    private static func quote(_ utf8: [UInt8], with mark: UInt8) -> String {
        var out: [UInt8] = [mark]
        out.reserveCapacity(utf8.count + 2)
        for b in utf8 {
            switch b {
            case mark, UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(b)
            case 0..<0x20, 0x7F:
                out.append(contentsOf: Array(("\\x" + hex(b)).utf8))
            default:
                out.append(b)
            }
        }
        out.append(mark)
        return String(decoding: out, as: UTF8.self)
    }

    private static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: [digits[Int(b >> 4)], digits[Int(b & 0xF)]], as: UTF8.self)
    }
}
