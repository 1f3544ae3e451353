/// A libpcap data link type (DLT value) and the ones the decoder understands.
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let null = LinkType(rawValue: 0)          // BSD loopback, host-order family
    public static let ethernet = LinkType(rawValue: 1)
    /// libpcap maps LINKTYPE_RAW (101) to DLT_RAW, which is 12 on most platforms, 14 on OpenBSD.
    public static let raw = LinkType(rawValue: 12)
    public static let rawOpenBSD = LinkType(rawValue: 14)
    public static let rawLinkType = LinkType(rawValue: 101)
    public static let loop = LinkType(rawValue: 108)        // OpenBSD loopback, network-order family
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    public static let linuxSLL2 = LinkType(rawValue: 276)

    /// Whether `PacketDecoder` can find IP packets in frames of this type.
    public var isSupported: Bool { LinkDecoding(self) != .unsupported }

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .ethernet: return "EN10MB"
        case .raw, .rawOpenBSD, .rawLinkType: return "RAW"
        case .loop: return "LOOP"
        case .linuxSLL: return "LINUX_SLL"
        case .ipv4: return "IPV4"
        case .ipv6: return "IPV6"
        case .linuxSLL2: return "LINUX_SLL2"
        default: return "DLT \(rawValue)"
        }
    }
}

/// The decoder's view of a link type, resolved once per source so the per-packet switch is on
/// a small enum.

enum LinkDecoding: Equatable {
    case ethernet, linuxSLL, linuxSLL2, rawIP, null, loop, unsupported


    init(_ type: LinkType) {
        switch type {
        case .ethernet: self = .ethernet
        case .linuxSLL: self = .linuxSLL
        case .linuxSLL2: self = .linuxSLL2
        case .raw, .rawOpenBSD, .rawLinkType, .ipv4, .ipv6: self = .rawIP
        case .null: self = .null
        case .loop: self = .loop
        default: self = .unsupported
        }
    }
}
