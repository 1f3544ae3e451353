/// An IPv4 or IPv6 address as a plain value: 16 bytes in two words plus the version.
///
/// IPv4 addresses live in the low 32 bits of `low` with `high == 0`, so comparing and hashing
/// never touch heap storage and the type stays trivially copyable (it travels through the ring).
public struct IPAddress: Hashable, Comparable, Sendable {
    /// Most significant 64 bits (network order) of an IPv6 address; 0 for IPv4.
    public var high: UInt64
    /// Least significant 64 bits of an IPv6 address, or the IPv4 address in its low 32 bits.
    public var low: UInt64
    public var version: IPVersion

    @inlinable
    public init(ipv4 value: UInt32) {
        self.high = 0
        self.low = UInt64(value)
        self.version = .v4
    }

    @inlinable
    public init(ipv6High high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
        self.version = .v6
    }

    /// The IPv4 address as a host-order integer, or nil for IPv6.
    @inlinable
    public var ipv4Value: UInt32? { version == .v4 ? UInt32(truncatingIfNeeded: low) : nil }

    /// Number of address bits: 32 or 128.
    @inlinable
    public var bitWidth: Int { version == .v4 ? 32 : 128 }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.version != rhs.version { return lhs.version.rawValue < rhs.version.rawValue }
        if lhs.high != rhs.high { return lhs.high < rhs.high }
        return lhs.low < rhs.low
    }

    /// The address with every bit past `prefixLength` cleared.
    public func masked(to prefixLength: Int) -> IPAddress {
        var copy = self
        if version == .v4 {
            let bits = max(0, min(32, prefixLength))
            let mask: UInt64 = bits == 0 ? 0 : (UInt64(0xFFFF_FFFF) << UInt64(32 - bits)) & 0xFFFF_FFFF
            copy.low &= mask
        } else {
            let bits = max(0, min(128, prefixLength))
            if bits <= 64 {
                copy.high &= bits == 0 ? 0 : ~UInt64(0) << UInt64(64 - bits)
                copy.low = 0
            } else {
                copy.low &= ~UInt64(0) << UInt64(128 - bits)
            }
        }
        return copy
    }

    /// IPv4 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16: what flow logs call `pvt`.
    public var isRFC1918: Bool {
        guard let v4 = ipv4Value else { return false }
        let a = v4 >> 24, b = (v4 >> 16) & 0xFF
        return a == 10 || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168)
    }
}

public enum IPVersion: UInt8, Sendable, Hashable {
    case v4 = 4
    case v6 = 6
}

// MARK: - Text

extension IPAddress: CustomStringConvertible, LosslessStringConvertible {
    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with `::` compression and an embedded
    /// IPv4 tail). Returns nil for anything else; no zone ids.
    public init?(_ text: String) {
        if text.contains(":") {
            guard let parsed = IPAddress.parseIPv6(Substring(text)) else { return nil }
            self = parsed
        } else {
            guard let v4 = IPAddress.parseIPv4(Substring(text)) else { return nil }
            self.init(ipv4: v4)
        }
    }

    static func parseIPv4(_ text: Substring) -> UInt32? {
        var value: UInt32 = 0
        var octets = 0
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
            octets += 1
        }
        return octets == 4 ? value : nil
    }

    static func parseIPv6(_ text: Substring) -> IPAddress? {
        var groups: [UInt16] = []
        var gapIndex: Int? = nil
        var rest = text
        if rest.hasPrefix("::") {
            gapIndex = 0
            rest = rest.dropFirst(2)
        }
        while !rest.isEmpty {
            let end = rest.firstIndex(of: ":") ?? rest.endIndex
            let part = rest[rest.startIndex..<end]
            if part.contains(".") {
                // Embedded IPv4 must be last.
                guard end == rest.endIndex, let v4 = parseIPv4(part) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
                rest = rest[end...]
                break
            }
            guard !part.isEmpty, part.count <= 4, let group = UInt16(part, radix: 16) else { return nil }
            groups.append(group)
            if end == rest.endIndex {
                rest = rest[end...]
            } else {
                let afterColon = rest.index(after: end)
                if afterColon < rest.endIndex, rest[afterColon] == ":" {
                    guard gapIndex == nil else { return nil }
                    gapIndex = groups.count
                    rest = rest[rest.index(after: afterColon)...]
                } else {
                    guard afterColon < rest.endIndex else { return nil }
                    rest = rest[afterColon...]
                }
            }
        }
        if let gap = gapIndex {
            guard groups.count < 8 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<4 { high = high << 16 | UInt64(groups[i]) }
        for i in 4..<8 { low = low << 16 | UInt64(groups[i]) }
        return IPAddress(ipv6High: high, low: low)
    }

    public var description: String {
        if let v4 = ipv4Value {
            return "\(v4 >> 24).\((v4 >> 16) & 0xFF).\((v4 >> 8) & 0xFF).\(v4 & 0xFF)"
        }
        var groups = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 { groups[i] = UInt16(truncatingIfNeeded: high >> UInt64(48 - 16 * i)) }
        for i in 0..<4 { groups[4 + i] = UInt16(truncatingIfNeeded: low >> UInt64(48 - 16 * i)) }
        // RFC 5952: compress the longest run (≥ 2) of zero groups, the first one on a tie.
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8 && groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var text = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                text += "::"
                i += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(groups[i], radix: 16)
            i += 1
        }
        return text
    }
}

/// An address prefix such as `10.0.0.0/8` or `fd00::/8`.
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let length: Int

    public init(address: IPAddress, length: Int) {
        self.length = max(0, min(address.bitWidth, length))
        self.address = address.masked(to: self.length)
    }

    /// `a.b.c.d/n`, `x::/n`, or a bare address (a host prefix).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { return nil }
        var length = address.bitWidth
        if parts.count == 2 {
            guard let n = Int(parts[1]), n >= 0, n <= address.bitWidth else { return nil }
            length = n
        }
        self.init(address: address, length: length)
    }

    @inlinable
    public func contains(_ candidate: IPAddress) -> Bool {
        candidate.version == address.version && candidate.masked(to: length) == address
    }

    public var description: String { "\(address)/\(length)" }
}
