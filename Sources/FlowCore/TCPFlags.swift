/// TCP header flags as seen on the wire (byte 13 of the TCP header).
public struct TCPFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)

    /// nfdump-style letters in a fixed order, `.` for an absent flag: `CEUAPRSF`.
    public var description: String {
        let letters: [Character] = ["F", "S", "R", "P", "A", "U", "E", "C"]
        var text = ""
        for bit in (0..<8).reversed() {
            text.append(rawValue & (1 << bit) != 0 ? letters[bit] : ".")
        }
        return text
    }
}
