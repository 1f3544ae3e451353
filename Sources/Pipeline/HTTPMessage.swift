/// The request line of an HTTP/1.x request head: just what the metrics endpoint routes on.
struct HTTPRequestLine {
    var method: String
    /// The target without its query string.
    var path: String
    var version: String

    /// Parses `METHOD SP TARGET SP HTTP/1.x` from the first line of `head`; nil when malformed.
    init?(_ head: [UInt8]) {
        let lineEnd = head.firstIndex(of: UInt8(ascii: "\n")) ?? head.endIndex
        var line = head[head.startIndex..<lineEnd]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        // Only printable ASCII belongs in a request line.
        guard line.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[1].first == UInt8(ascii: "/") else { return nil }
        method = String(decoding: parts[0], as: UTF8.self)
        guard method.allSatisfy({ $0.isUppercase }) else { return nil }
        let target = String(decoding: parts[1], as: UTF8.self)
        path = String(target.prefix { $0 != "?" })
        version = String(decoding: parts[2], as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { return nil }
    }

    /// The length of the head including its terminating blank line (CRLF CRLF, or bare LF LF
    /// from lenient clients), or nil when it has not all arrived.
    static func endOfHead(in bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { return index + 2 }
                if index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "\r"), bytes[index + 2] == UInt8(ascii: "\n") {
                    return index + 3
                }
            }
            index += 1
        }
        return nil
    }
}

/// A complete response; always `Connection: close`.
struct HTTPReply {
    var status: Int
    var reason: String
    var headers: [(String, String)]
    var body: [UInt8]
    /// For HEAD: send the headers (with the body's length) but not the body.
    var omitBody = false

    static func plain(_ status: Int, _ reason: String, _ text: String) -> HTTPReply {
        HTTPReply(status: status, reason: reason, headers: [("Content-Type", "text/plain; charset=utf-8")],
                  body: Array(text.utf8))
    }

    func bytes() -> String {
        var text = "HTTP/1.1 \(status) \(reason)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        if !omitBody { text += String(decoding: body, as: UTF8.self) }
        return text
    }
}
