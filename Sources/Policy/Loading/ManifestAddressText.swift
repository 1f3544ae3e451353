import FlowCore

/// A manifest's IP address text (a pod's `podIP` and `podIPs`) read from its UTF-8 bytes.
///
/// `IPAddress(_:)` walks Characters: a split, a Unicode property test per character and an
/// integer parse per part, about 18,000 instructions an address; the large cluster's 12,288
/// pod addresses were a tenth of loading it. A plain dotted quad, or IPv6 text of hex groups
/// (with or without `::`), is read here byte by byte. Anything else, and every text this reader
/// does not accept (an embedded IPv4 tail, a sign, non-ASCII, a malformed address), goes to
/// `IPAddress(_:)`, so which texts are addresses, and which addresses they are, stays its
/// decision: this reader accepts a subset of what it accepts, with the same values.
enum ManifestAddressText {
    static func address(_ text: String) -> IPAddress? {
        var text = text
        if let quick = text.withUTF8({ quickAddress($0) }) { return quick }
        return IPAddress(text)
    }

    /// The address when `bytes` are a plain dotted quad or hex-group IPv6 text; nil otherwise.
    static func quickAddress(_ bytes: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        guard !bytes.isEmpty, bytes.count <= 39 else { return nil }
        return bytes.contains(UInt8(ascii: ":")) ? ipv6(bytes) : ipv4(bytes).map { IPAddress(ipv4: $0) }
    }

    /// Four parts of one to three decimal digits, each at most 255, between three dots.
    static func ipv4(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var value: UInt32 = 0, octet: UInt32 = 0, digits = 0, dots = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, octet <= 255, dots < 3 else { return nil }
                value = value << 8 | octet
                dots += 1
                octet = 0
                digits = 0
            } else {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 3 else { return nil }
                octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
            }
        }
        guard digits > 0, octet <= 255, dots == 3 else { return nil }
        return value << 8 | octet
    }

    /// Groups of one to four hex digits between single colons, with at most one `::` standing
    /// for as many zero groups as make eight (at least one), as `IPAddress.parseIPv6` reads them.
    static func ipv6(_ bytes: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        let colon = UInt8(ascii: ":")
        let n = bytes.count
        var i = 0
        // Groups before the `::` (all of them without one), and after it.
        var head: UInt128 = 0, headCount = 0
        var tail: UInt128 = 0, tailCount = 0
        var gap = false
        if n >= 2 && bytes[0] == colon && bytes[1] == colon {
            gap = true
            i = 2
        }
        while i < n {
            var group: UInt128 = 0, digits = 0
            while i < n && bytes[i] != colon {
                guard let digit = hexDigit(bytes[i]), digits < 4 else { return nil }
                group = group << 4 | UInt128(digit)
                digits += 1
                i += 1
            }
            guard digits > 0, headCount + tailCount < 8 else { return nil }
            if gap {
                tail = tail << 16 | group
                tailCount += 1
            } else {
                head = head << 16 | group
                headCount += 1
            }
            if i == n { break }
            let afterColon = i + 1
            if afterColon < n && bytes[afterColon] == colon {
                guard !gap else { return nil }
                gap = true
                i = afterColon + 1
            } else {
                guard afterColon < n else { return nil }
                i = afterColon
            }
        }
        let count = headCount + tailCount
        guard gap ? count < 8 : count == 8 else { return nil }
        let value = headCount == 0 ? tail : head << (16 * (8 - headCount)) | tail
        return IPAddress(ipv6High: UInt64(truncatingIfNeeded: value >> 64), low: UInt64(truncatingIfNeeded: value))
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
