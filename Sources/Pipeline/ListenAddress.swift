#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore

/// A numeric listening address: `127.0.0.1:9464`, `[::1]:9464`, `localhost:9464`, or
/// `:9464` (loopback). Names other than `localhost` are not resolved: an agent should not
/// depend on DNS to expose its metrics.
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw FlowlogError(.invalidArgument, "'\(text)': missing ']' after the IPv6 address")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw FlowlogError(.invalidArgument, "'\(text)': expected ':PORT' after the address")
            }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw FlowlogError(.invalidArgument, "'\(text)' is not HOST:PORT")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = UInt16(portText) else {
            throw FlowlogError(.invalidArgument, "'\(text)': '\(portText)' is not a port number (0–65535)")
        }
        let name = host.isEmpty || host == "localhost" ? "127.0.0.1" : String(host)
        guard Self.family(of: name) != nil else {
            throw FlowlogError(.invalidArgument, "'\(text)': '\(host)' is not a numeric IPv4 or IPv6 address")
        }
        self.init(host: name, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// True for 127.0.0.0/8 and ::1.
    public var isLoopback: Bool {
        switch Self.family(of: host) {
        case AF_INET?:
            var address = in_addr()
            inet_pton(AF_INET, host, &address)
            return UInt32(bigEndian: address.s_addr) >> 24 == 127
        case AF_INET6?:
            var address = in6_addr()
            inet_pton(AF_INET6, host, &address)
            return withUnsafeBytes(of: &address) { bytes in
                bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1
            }
        default:
            return false
        }
    }

    static func family(of host: String) -> Int32? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return AF_INET }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return AF_INET6 }
        return nil
    }
}
