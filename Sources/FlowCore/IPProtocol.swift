/// An IP protocol number (IANA "Assigned Internet Protocol Numbers").
public struct IPProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let icmp = IPProtocol(rawValue: 1)
    public static let tcp = IPProtocol(rawValue: 6)
    public static let udp = IPProtocol(rawValue: 17)
    public static let icmpv6 = IPProtocol(rawValue: 58)
    public static let sctp = IPProtocol(rawValue: 132)
    public static let udplite = IPProtocol(rawValue: 136)

    /// Lower-case names as Calico and flow logs spell them; numbers for the rest.
    public var description: String {
        switch rawValue {
        case 1: return "icmp"
        case 6: return "tcp"
        case 17: return "udp"
        case 58: return "icmpv6"
        case 132: return "sctp"
        case 136: return "udplite"
        default: return String(rawValue)
        }
    }

    /// Accepts a name (any case; `ICMPv6`, `UDPLite`) or a decimal number 0–255.
    public init?(name: String) {
        switch name.lowercased() {
        case "icmp": self = .icmp
        case "tcp": self = .tcp
        case "udp": self = .udp
        case "icmpv6": self = .icmpv6
        case "sctp": self = .sctp
        case "udplite": self = .udplite
        default:
            guard let n = UInt8(name) else { return nil }
            self.init(rawValue: n)
        }
    }

    /// ICMP and ICMPv6 carry type/code instead of ports.
    @inlinable public var isICMP: Bool { rawValue == 1 || rawValue == 58 }
    /// Protocols whose first four transport bytes are source and destination ports.
    @inlinable public var hasPorts: Bool { rawValue == 6 || rawValue == 17 || rawValue == 132 || rawValue == 136 }
}
