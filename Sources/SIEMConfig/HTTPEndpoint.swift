import FlowCore
import Foundation

/// `http(s)://HOST[:PORT][/prefix]` of an HTTP sink (a prefix for a receiver behind a path-
/// routing proxy). No user, query or fragment: credentials come from files.
public struct HTTPEndpoint: Hashable, Sendable {
    public let secure: Bool
    public let host: String
    public let port: Int
    /// "" or `/prefix` without a trailing slash.
    public let pathPrefix: String

    public init(url: String) throws {
        let lower = url.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            secure = true
            rest = url.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            secure = false
            rest = url.dropFirst(7)
        } else {
            throw FlowlogError(.invalidArgument, "'\(url)' does not start with http:// or https://")
        }
        guard !rest.contains("@"), !rest.contains("?"), !rest.contains("#") else {
            throw FlowlogError(.invalidArgument, "'\(url)' must not carry a user, query or fragment (credentials go in token-file)")
        }
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        guard let parsed = HostAndPort(String(authority), defaultPort: secure ? 443 : 80) else {
            throw FlowlogError(.invalidArgument, "'\(url)' has no usable HOST[:PORT]")
        }
        host = parsed.host
        port = parsed.port
        pathPrefix = path
    }

    /// `http://host:port` with the prefix, for building request URLs.
    public var base: String {
        (secure ? "https://" : "http://") + (host.contains(":") ? "[\(host)]" : host) + ":\(port)" + pathPrefix
    }

    public var description: String { "\(host):\(port)" }
}

/// `HOST:PORT` or `[IPv6]:PORT`.
public struct HostAndPort: Hashable, Sendable {
    public let host: String
    public let port: Int

    public init?(_ text: String, defaultPort: Int? = nil) {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { return nil }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        } else {
            host = Substring(text)
        }
        guard !host.isEmpty, host.utf8.count <= 253,
              host.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0 != "/" }) else { return nil }
        let port: Int
        if let portText {
            guard let p = Int(portText), p > 0, p < 65536 else { return nil }
            port = p
        } else {
            guard let defaultPort else { return nil }
            port = defaultPort
        }
        self.host = String(host)
        self.port = port
    }
}
