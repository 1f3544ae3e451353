import FlowCore

/// Where a ClickHouse server's HTTP interface is, and who to be there.
public struct ClickHouseEndpoint: Sendable, Equatable {
    /// `http://host:port`, no path, no trailing slash.
    public let baseURL: String
    public let user: String?
    public let password: String?

    /// Accepts `http://host[:port][/]` (port 8123 when absent); TLS and paths are not supported
    /// (put a TLS-terminating proxy in front; ClickHouse's own HTTPS port works through it).
    public init(url: String, user: String? = nil, password: String? = nil) throws {
        var text = url
        guard text.hasPrefix("http://") else {
            throw FlowlogError(.invalidArgument, "ClickHouse URL must start with http:// (got '\(url)')", location: .init(field: "--url"))
        }
        while text.hasSuffix("/") { text.removeLast() }
        let authority = text.dropFirst("http://".count)
        guard !authority.isEmpty, !authority.contains("/"), !authority.contains("@"), !authority.contains("?") else {
            throw FlowlogError(.invalidArgument, "ClickHouse URL must be http://HOST[:PORT] without user, path or query (got '\(url)')",
                               location: .init(field: "--url"))
        }
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let port = Int(authority[authority.index(after: colon)...]), port > 0, port < 65536 else {
                throw FlowlogError(.invalidArgument, "bad port in ClickHouse URL '\(url)'", location: .init(field: "--url"))
            }
            baseURL = text
        } else {
            baseURL = text + ":8123"
        }
        self.user = user
        self.password = password
    }

    /// `host:port`, for names of checkpoints and for messages (never the password).
    public var hostAndPort: String { String(baseURL.dropFirst("http://".count)) }

    /// The `Authorization` header value, nil without a user.
    var authorization: String? {
        guard let user else { return nil }
        return "Basic " + Base64.encode(Array((user + ":" + (password ?? "")).utf8))
    }

    /// Reads a password file: its first line, without the line end; an empty or missing file is
    /// an error naming the file.
    public static func readPassword(file: String) throws -> String {
        var bytes: [UInt8] = []
        guard let fp = fopenForReading(file) else {
            throw FlowlogError(.fileNotFound, "cannot read the password file", location: .init(file: file, field: "--password-file"))
        }
        defer { fclose(fp) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= 65536 {
            let n = fread(&buffer, 1, buffer.count, fp)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        guard bytes.count <= 65536 else {
            throw FlowlogError(.invalidArgument, "password file is larger than 64 KiB", location: .init(file: file, field: "--password-file"))
        }
        let line = bytes.split(separator: 0x0A, maxSplits: 1, omittingEmptySubsequences: false).first ?? []
        var password = Array(line)
        if password.last == 0x0D { password.removeLast() }
        guard !password.isEmpty else {
            throw FlowlogError(.invalidArgument, "password file is empty", location: .init(file: file, line: 1, field: "--password-file"))
        }
        return String(decoding: password, as: UTF8.self)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private func fopenForReading(_ path: String) -> UnsafeMutablePointer<FILE>? { fopen(path, "rb") }

/// RFC 4648 base64 with padding, for the Basic authorization header.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Percent-encoding of URL query values: unreserved characters stay, every other byte is %HH.
enum PercentEncoding {
    static func encode(_ text: String) -> String {
        var out: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
